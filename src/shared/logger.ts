import { pino, type Logger } from 'pino';
import { BufferedDestination } from './log-destination.js';

export type { Logger };

/** Paths that may carry credentials; pino replaces them before anything is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  // The same names at the top level of a log call's object and one level down.
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'access_token',
  'subject_token',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.token',
  '*.access_token',
  '*.subject_token',
];

let stdout: BufferedDestination | undefined;

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  remoteAddress?: string;
  remotePort?: number;
  socket?: { remotePort?: number };
}

/**
 * How a request appears in a log line (Fastify logs `req` with every request):
 * the path without its query string, which may carry credentials (a
 * `client_secret` sent where it must not be, an API key), and the peer.
 */
function requestForLog(req: LoggedRequest): Record<string, unknown> {
  // A Fastify request (ip, socket) or an already chosen set of fields (remoteAddress, remotePort).
  return { method: req.method, url: pathForLog(req.url), host: req.host, remoteAddress: req.ip ?? req.remoteAddress, remotePort: req.socket?.remotePort ?? req.remotePort };
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * A request target as log lines show it: the path only. The query string may
 * carry credentials (a `client_secret` sent where it must not be, an API key),
 * and so may the user-info of an absolute-form target
 * (`GET http://user:password@host/path`), which is reduced to its path too.
 */
export function pathForLog(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const authority = ABSOLUTE_FORM.exec(url);
  const target = authority ? url.slice(authority[0].length) || '/' : url;
  const q = target.search(/[?#]/);
  return q === -1 ? target : target.slice(0, q) || '/';
}

/**
 * Without a destination, lines go to stdout through one shared buffered
 * asynchronous writer (batches of 16 KiB or 250 ms, flushed at process exit),
 * so the gateway's per-request access line costs no synchronous write.
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const target = destination ?? (level === 'silent' ? undefined : (stdout ??= new BufferedDestination(1)));
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined, serializers: { req: requestForLog } }, target as pino.DestinationStream | undefined);
}

/**
 * Fastify's per-request child logger (`childLoggerFactory`). pino runs every
 * binding through the redaction stringifier, which the wildcard paths above
 * make ≈ 0.9 µs per child (5 µs and more inside a busy server) for a value we
 * generated ourselves: Fastify's request ID. That one binding is appended as
 * JSON directly; any other binding or option takes pino's own path.
 */
export function requestChildLogger(logger: Logger, bindings: Record<string, unknown>, options: Record<string, unknown>): Logger {
  const keys = Object.keys(bindings);
  if (keys.length !== 1 || typeof bindings.reqId !== 'string' || Object.keys(options).length !== 0) return logger.child(bindings, options);
  const child = logger.child({}) as Logger & Record<symbol, string>;
  child[pino.symbols.chindingsSym] += ',"reqId":' + JSON.stringify(bindings.reqId);
  return child;
}
