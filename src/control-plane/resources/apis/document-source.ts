import { ApiError, unprocessable } from '../../../shared/errors.js';
import { safeFetch, SafeFetchError, type SafeFetchErrorCode } from '../../../shared/safe-fetch.js';
import { MAX_API_DOCUMENT_CHARS, type ApiDocumentMediaType } from '../../../store/repos/apis.js';
import type { ControlPlaneDeps } from '../../context.js';

/** Where an imported OpenAPI document comes from: the request body as given, or a URL fetched by the server. */

/** Fetch refusals that are the caller's input (the URL), not the remote's answer. */
const URL_REFUSALS: readonly SafeFetchErrorCode[] = ['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'address_not_allowed'];

/** The text to keep for a document given in the body: text as given (JSON when it parses as JSON, else YAML), an object as indented JSON. */
export function documentText(document: string | Record<string, unknown>): { content: string; mediaType: ApiDocumentMediaType } {
  if (typeof document !== 'string') {
    const content = JSON.stringify(document, null, 2);
    if (content.length > MAX_API_DOCUMENT_CHARS) throw new ApiError('payload_too_large', `The document is larger than ${MAX_API_DOCUMENT_CHARS} characters as JSON`, { document: 'is too large' });
    return { content, mediaType: 'application/json' };
  }
  try {
    JSON.parse(document);
    return { content: document, mediaType: 'application/json' };
  } catch {
    return { content: document, mediaType: 'application/yaml' };
  }
}

/**
 * Fetches a document by URL with the platform's safe fetch, under the rules
 * of identity provider URLs (https, public addresses; loopback http too when
 * private IdP URLs are allowed). A URL that may not be fetched is a 422, a
 * remote that does not answer (or not with 200) a 502, both naming `url`.
 */
export async function fetchDocument(deps: ControlPlaneDeps, url: string): Promise<{ content: string; mediaType: ApiDocumentMediaType }> {
  try {
    const res = await safeFetch(url, {
      allowPrivate: deps.config.allowPrivateIdpUrls,
      maxBytes: MAX_API_DOCUMENT_CHARS,
      timeoutMs: 10_000,
      headers: { accept: 'application/vnd.oai.openapi+json, application/json, application/yaml, text/yaml, */*;q=0.5' },
    });
    if (res.status !== 200) throw new SafeFetchError('http_status', `${new URL(res.url).origin} answered HTTP ${res.status}`, res.url);
    const text = res.body.toString('utf8').replace(/^\uFEFF/, '');
    if (text.trim() === '') throw unprocessable(`The document at ${url} is empty`, { url: 'answered an empty document' });
    return documentText(text);
  } catch (error) {
    if (!(error instanceof SafeFetchError)) throw error;
    const code = URL_REFUSALS.includes(error.code) || error.code === 'body_too_large' ? 'unprocessable' : 'bad_gateway';
    throw new ApiError(code, `Fetching the OpenAPI document failed [${error.code}]: ${error.message}`, { url: error.message });
  }
}
