import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { BatchedLog } from '../shared/batched-log.js';
import { pathForLog, type Logger } from '../shared/logger.js';

/** A control-plane request line, nested like Fastify's own lines; the fields are chosen here, so no header, query or body reaches it. */
interface RequestEntry {
  reqId: string;
  req: { method: string; url: string | undefined; host: string | undefined; remoteAddress: string | undefined; remotePort: number | undefined };
  res: { statusCode: number };
  /** ms; absent when the client left before the request was answered. */
  responseTime: number | undefined;
  aborted?: true;
}

const member = (name: string, value: string | number | undefined, first = false): string =>
  value === undefined ? '' : `${first ? '' : ','}"${name}":${typeof value === 'number' ? value : JSON.stringify(value)}`;

function format(e: RequestEntry): string {
  const r = e.req;
  const req = member('method', r.method, true) + member('url', r.url) + member('host', r.host) + member('remoteAddress', r.remoteAddress) + member('remotePort', r.remotePort);
  return `,"reqId":${JSON.stringify(e.reqId)},"req":{${req}},"res":{"statusCode":${e.res.statusCode}}${member('responseTime', e.responseTime)}${e.aborted ? ',"aborted":true' : ''}`;
}

/** Status of a request whose client left before the answer (nginx's convention, as in the gateway's access lines). */
const CLIENT_CLOSED = 499;

function entry(request: FastifyRequest, reply: FastifyReply | undefined): RequestEntry {
  return {
    reqId: request.id,
    req: { method: request.method, url: pathForLog(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort },
    res: { statusCode: reply ? reply.statusCode : CLIENT_CLOSED },
    responseTime: reply ? Math.round(reply.elapsedTime * 1000) / 1000 : undefined,
    ...(!reply && { aborted: true as const }),
  };
}

/**
 * Fastify's log controller minus the lines `registerRequestLog` replaces: no
 * "incoming request", no "request completed" for a request that succeeded,
 * no "Route … not found" (which carried the raw URL, query string included).
 * Errors are still logged by Fastify ("request errored", the default error
 * handler's 5xx lines, stream and serializer errors).
 */
export class RequestLineController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) super.requestCompleted(error, request, reply, metadata);
  }

  override routeNotFound(): void {}
}

/**
 * One line per control-plane request (`"msg":"request completed"`), when its
 * response is sent or its client leaves first (status 499, `aborted: true`).
 * Fastify's two pino lines per request, through the redaction paths, cost
 * ≈ 34 µs per token at the token endpoint. The line keeps Fastify's field
 * names: `reqId`, `req` {method, url without the query, host, remoteAddress,
 * remotePort}, `res` {statusCode}, `responseTime` (ms).
 *
 * Not every request reaches the hooks: a URL Fastify cannot decode (its own
 * 400), a request the HTTP parser rejects and a request refused with 503
 * while the server closes (Fastify logs that one itself) get no such line.
 */
export function registerRequestLog(app: FastifyInstance, logger: Logger): void {
  const log = new BatchedLog<RequestEntry>(logger, 'request completed', format);
  // Fastify runs onRequestAbort only for a request that never arrived whole, which gets no response.
  app.addHook('onResponse', (request, reply, done) => {
    if (log.enabled) log.write(entry(request, reply));
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    if (log.enabled) log.write(entry(request, undefined));
    done();
  });
  app.addHook('onClose', (_app, done) => {
    log.flush();
    done();
  });
}
