import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type { paths };

/** A refused call: the management API's `{ code, message, fields }` and the HTTP status. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

// The session's CSRF token lives in memory only (never in storage): a reload asks
// /auth/session for it again.
let csrfToken: string | undefined;
let onUnauthenticated: () => void = () => {};

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when a call answers 401 `unauthenticated`: the session ended, so the app goes back to sign-in. */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

/** The `code` of a management API error body, if the response has one. */
async function errorCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

/** The session's current CSRF token, asked of the API (undefined without a session). */
async function currentCsrfToken(): Promise<string | undefined> {
  try {
    const response = await fetch(new URL('/api/v1/auth/session', globalThis.location?.origin).toString(), { credentials: 'same-origin' });
    if (!response.ok) return undefined;
    return ((await response.json()) as { csrfToken?: string }).csrfToken;
  } catch {
    return undefined;
  }
}

// A copy of each state-changing request as sent, so a CSRF refusal can be retried once with a fresh token.
const unsent = new WeakMap<Request, Request>();

const session: Middleware = {
  onRequest({ request }) {
    if (!SAFE_METHODS.has(request.method)) {
      if (csrfToken) request.headers.set('x-csrf-token', csrfToken);
      unsent.set(request, request.clone());
    }
    return request;
  },
  async onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/api/v1/auth/')) return response;
    // Only the API's own "no session" signs out: a 401 passed on from elsewhere (an OAuth error in try-it) does not.
    if (response.status === 401 && (await errorCode(response)) === 'unauthenticated') {
      onUnauthenticated();
      return response;
    }
    // A 403 may be a CSRF token that no longer matches the session (signed in again in another tab):
    // when the session's token differs from the one sent, take it and retry once.
    const copy = unsent.get(request);
    if (response.status === 403 && copy && (await errorCode(response)) === 'forbidden') {
      const sent = request.headers.get('x-csrf-token') ?? undefined;
      const fresh = await currentCsrfToken();
      if (fresh && fresh !== sent) {
        csrfToken = fresh;
        copy.headers.set('x-csrf-token', fresh);
        return fetch(copy);
      }
    }
    return response;
  },
};

/** The one client of the management API, typed from its OpenAPI document (schema.d.ts). */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(session);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Resolves with the body of a successful call, or throws an ApiRequestError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    throw new ApiRequestError(0, 'network_error', `The control plane cannot be reached (${(e as Error).message})`);
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  const body = (error ?? {}) as { code?: string; message?: string; fields?: Record<string, string>; error?: string; error_description?: string };
  throw new ApiRequestError(response.status, body.code ?? body.error ?? 'http_error', body.message ?? body.error_description ?? `The request failed with HTTP ${response.status}`, body.fields);
}

/** The body of a JSON response type of `paths`, for components that receive API data as props. */
export type ResponseOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: infer R;
}
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : never
  : never;
