import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../shared/oauth-errors.js';
import { parseForm, type FormParams } from './form.js';

const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/** Parameters belong in the body; a URL query (which ends up in logs and histories) is refused. */
export function refuseQuery(request: FastifyRequest): void {
  const q = request.url.indexOf('?');
  if (q === -1 || q === request.url.length - 1) return;
  const names = new URLSearchParams(request.url.slice(q + 1));
  if (names.has('client_secret')) throw new InvalidRequest('Client secrets must not be sent in the URL query');
  throw new InvalidRequest('Send the parameters in the form body, not in the URL query');
}

/** The body as strict form parameters: right content type (UTF-8), no repeats, no query. */
export function readForm(request: FastifyRequest): FormParams {
  refuseQuery(request);
  const type = request.headers['content-type'];
  if (type === undefined || !FORM_TYPE.test(type)) throw new InvalidRequest('Send the body as application/x-www-form-urlencoded');
  return parseForm(typeof request.body === 'string' ? request.body : '');
}
