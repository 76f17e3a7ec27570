import { pino, type Logger } from 'pino';

type LoggerInternals = Logger & Record<symbol, unknown>;

const INFO = 30;

/**
 * Info lines for one kind of event with fixed, chosen fields (an access line,
 * a request line), written straight to the logger's own destination with that
 * logger's bindings, time function and message key, without pino's generic
 * serializer and redaction: `format` picks the fields, so nothing secret can
 * reach the line, and it returns them as JSON members (`,"a":1,"b":"x"`).
 * Lines are formatted in batches: `write` only queues its entry, and all
 * entries queued during one turn of the event loop become one string and one
 * `write` in a `setImmediate`. A line's `time` is when its batch was written,
 * at most one loop turn after the event. `flush()` writes what is queued now.
 *
 * The line always has pino's default shape (`"level":30`): custom `formatters`
 * are not applied. A logger with a mixin, a `logMethod` hook or a message
 * prefix gets its lines through `logger.info`, one by one, instead.
 */
export class BatchedLog<E extends object> {
  private readonly stream: { write(line: string): unknown } | undefined;
  private readonly head: string;
  private readonly tail: string;
  private readonly time: () => string;
  private readonly bindings: string;
  private queued: E[] = [];
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
    private readonly format: (entry: E) => string,
  ) {
    const l = logger as LoggerInternals;
    const s = pino.symbols as typeof pino.symbols & { msgPrefixSym: symbol };
    const chindings = l[s.chindingsSym];
    const plain = !l[s.mixinSym] && !(l[s.hooksSym] as { logMethod?: unknown } | undefined)?.logMethod && !l[s.msgPrefixSym] && typeof chindings === 'string';
    this.stream = plain ? (l[s.streamSym] as { write(line: string): unknown }) : undefined;
    this.time = l[s.timeSym] as () => string;
    this.head = `{"level":${INFO}`;
    this.tail = `,${JSON.stringify((l[s.messageKeySym] as string | undefined) ?? 'msg')}:${JSON.stringify(message)}}\n`;
    this.bindings = plain ? (chindings as string) : '';
  }

  /** Whether lines are written at the logger's current level: check it before building an entry. */
  get enabled(): boolean {
    return this.logger.levelVal <= INFO;
  }

  write(entry: E): void {
    if (this.logger.levelVal > INFO) return;
    if (this.stream === undefined) {
      this.logger.info(entry as Record<string, unknown>, this.message);
      return;
    }
    if (this.queued.push(entry) === 1) setImmediate(this.flushNow);
  }

  flush(): void {
    const entries = this.queued;
    if (entries.length === 0) return;
    this.queued = [];
    const time = this.time();
    let out = '';
    for (let i = 0; i < entries.length; i++) out += this.head + time + this.bindings + this.format(entries[i]!) + this.tail;
    this.stream!.write(out);
  }
}
