import { pino, type Logger } from 'pino';

/** One access line: the fields are chosen here, so no header, query or token can reach it. */
export interface AccessEntry {
  reqId: string;
  method: string | undefined;
  path: string | undefined;
  status: number;
  ms: number;
  api: string | undefined;
  app: string | undefined;
  error: string | undefined;
}

type LoggerInternals = Logger & Record<symbol, unknown>;

const INFO = 30;

/**
 * Writes the gateway's access lines straight to the listener logger's own
 * destination, with that logger's bindings, time function and message key,
 * without pino's generic serializer: one short template per request instead of
 * a walk over an object (≈ 0.3 µs instead of ≈ 0.8 µs). The line always has
 * pino's default shape (`"level":30`): custom `formatters` are not applied.
 * A logger with a mixin, a `logMethod` hook or a message prefix gets its lines
 * through `logger.info` instead.
 */
export class AccessLog {
  private readonly stream: { write(line: string): unknown } | undefined;
  private readonly head: string;
  private readonly tail: string;
  private readonly time: () => string;
  private readonly bindings: string;

  constructor(private readonly logger: Logger) {
    const l = logger as LoggerInternals;
    const s = pino.symbols as typeof pino.symbols & { msgPrefixSym: symbol };
    const chindings = l[s.chindingsSym];
    const plain = !l[s.mixinSym] && !(l[s.hooksSym] as { logMethod?: unknown } | undefined)?.logMethod && !l[s.msgPrefixSym] && typeof chindings === 'string';
    this.stream = plain ? l[s.streamSym] as { write(line: string): unknown } : undefined;
    this.time = l[s.timeSym] as () => string;
    this.head = `{"level":${INFO}`;
    this.tail = `,${JSON.stringify((l[s.messageKeySym] as string | undefined) ?? 'msg')}:"request"}\n`;
    this.bindings = plain ? chindings as string : '';
  }

  write(e: AccessEntry): void {
    if (this.logger.levelVal > INFO) return;
    if (this.stream === undefined) {
      this.logger.info(e, 'request');
      return;
    }
    let line = this.head + this.time() + this.bindings + ',"reqId":' + JSON.stringify(e.reqId);
    if (e.method !== undefined) line += ',"method":' + JSON.stringify(e.method);
    if (e.path !== undefined) line += ',"path":' + JSON.stringify(e.path);
    line += ',"status":' + e.status + ',"ms":' + e.ms;
    if (e.api !== undefined) line += ',"api":' + JSON.stringify(e.api);
    if (e.app !== undefined) line += ',"app":' + JSON.stringify(e.app);
    if (e.error !== undefined) line += ',"error":' + JSON.stringify(e.error);
    this.stream.write(line + this.tail);
  }
}
