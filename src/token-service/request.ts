import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../shared/oauth-errors.js';
import { parseForm, type FormParams } from './form.js';

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** Parameters belong in the body; a URL query (which ends up in logs and histories) is refused. */
function refuseQuery(request: FastifyRequest): void {
  const q = request.url.indexOf('?');
  if (q === -1 || q === request.url.length - 1) return;
  const names = new URLSearchParams(request.url.slice(q + 1));
  if (names.has('client_secret')) throw new InvalidRequest('Client secrets must not be sent in the URL query');
  throw new InvalidRequest('Send the parameters in the form body, not in the URL query');
}

/** Headers Node would silently reduce to one copy (it keeps the first), which would hide an ambiguous request. */
const SINGLE_HEADERS: Readonly<Record<string, string>> = { authorization: 'Authorization', 'content-type': 'Content-Type' };

/** A repeated `Authorization` or `Content-Type` header is `invalid_request`, like a repeated parameter. */
function refuseRepeatedHeaders(request: FastifyRequest): void {
  const raw = request.raw.rawHeaders;
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const display = SINGLE_HEADERS[name];
    if (display === undefined) continue;
    if (seen.has(name)) throw new InvalidRequest(`The ${display} header is repeated`);
    seen.add(name);
  }
}

/** The body as strict form parameters: one Authorization and Content-Type header, right content type (UTF-8), no repeats, no query. */
export function readForm(request: FastifyRequest): FormParams {
  refuseRepeatedHeaders(request);
  refuseQuery(request);
  const type = request.headers['content-type'];
  if (type === undefined || !FORM_TYPE.test(type)) throw new InvalidRequest('Send the body as application/x-www-form-urlencoded');
  return parseForm(typeof request.body === 'string' ? request.body : '');
}
