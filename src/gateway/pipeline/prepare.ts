import type { Exchange } from '../exchange.js';
import { BodyLimit, payloadTooLarge, readBody, upstreamHeaders } from '../proxy.js';
import { TRUSTED_PEER, type MarkedSocket } from '../state.js';

/** Headers for the backend and the body plan (streamed, or kept when a policy may want a retry). */
export function prepare(ex: Exchange): void | Promise<void> {
  const req = ex.req;
  const socket = req.socket as MarkedSocket;
  ex.upstreamHeaders = upstreamHeaders(req.headers, socket.remoteAddress, ex.gw.trusted !== undefined && socket[TRUSTED_PEER] === true, ex.gw.proto, ex.requestId);
  const max = ex.apiRoute.limits.maxBodyBytes ?? ex.gw.limits.maxBodyBytes;
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (length !== undefined) {
    const n = Number(length);
    if (n > max) throw payloadTooLarge(max);
    if (n === 0) {
      ex.body = undefined;
      ex.replayable = ex.resource.retryOn401;
      return;
    }
  } else if (!chunked) {
    ex.replayable = ex.resource.retryOn401;
    return;
  }
  if (ex.resource.retryOn401 && length !== undefined && Number(length) <= ex.gw.limits.replayBodyBytes) {
    ex.replayable = true;
    return readBody(req, max).then((body) => {
      ex.body = body;
    });
  }
  if (chunked) {
    const limit = new BodyLimit(max);
    req.on('error', (e) => limit.destroy(e));
    ex.body = req.pipe(limit);
  } else ex.body = req;
}
