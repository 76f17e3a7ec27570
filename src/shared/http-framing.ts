/**
 * Request framing rules every listener of the platform applies (RFC 9112
 * §3.2), for the Fastify server of the control plane and token service; the
 * gateway checks the same in its own `checkRequest` step.
 */

/**
 * A request that is malformed before any route sees it. `statusCode` 400 makes
 * every renderer of the platform answer 400 with this message: the management
 * API's (`bad_request`) and the token service's (`invalid_request`).
 */
export class MalformedRequest extends Error {
  readonly statusCode = 400;

  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequest';
  }
}

/**
 * RFC 9112 §3.2: a server MUST answer 400 to a request with more than one
 * Host field line. Node keeps the first copy and drops the others, so a
 * proxy in front could route on one and the platform read another.
 */
function repeatedHost(rawHeaders: readonly string[]): MalformedRequest | undefined {
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return new MalformedRequest('The request has more than one Host header');
  }
  return undefined;
}

/** Fastify `onRequest` hook: refuses a repeated Host header before routing. */
export function refuseRepeatedHost(request: { raw: { rawHeaders: string[] } }, _reply: unknown, done: (error?: Error) => void): void {
  done(repeatedHost(request.raw.rawHeaders));
}
