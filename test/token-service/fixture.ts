import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

export interface Consumer {
  org: { id: string; handle: string };
  appId: string;
  clientId: string;
  clientSecret: string;
}

/** An organization with an external-consumer component whose application has keys in `environment`. */
export async function newConsumer(p: TestPlatform, options: { name?: string; environment?: string; settings?: Record<string, unknown>; api?: Api } = {}): Promise<Consumer> {
  const api = options.api ?? p.admin;
  const org = await api.post('/api/v1/orgs', { name: `${options.name ?? 'Acme'} ${Math.random().toString(36).slice(2, 8)}` });
  if (org.status !== 201) throw new Error(`org: ${org.status} ${org.text}`);
  const component = await api.post(`/api/v1/orgs/${org.body.handle}/projects/default/components`, { type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app' });
  if (component.status !== 201) throw new Error(`component: ${component.status} ${component.text}`);
  const app = await api.get(`/api/v1/orgs/${org.body.handle}/projects/default/components/mobile-app/application`);
  if (app.status !== 200) throw new Error(`application: ${app.status} ${app.text}`);
  const keys = await api.post(`/api/v1/orgs/${org.body.handle}/applications/${app.body.id}/credentials/${options.environment ?? 'development'}/keys`, options.settings ?? {});
  if (keys.status !== 201) throw new Error(`keys: ${keys.status} ${keys.text}`);
  return { org: { id: org.body.id, handle: org.body.handle }, appId: app.body.id, clientId: keys.body.clientId, clientSecret: keys.body.clientSecret };
}

/** `client_secret_basic`: each part form-urlencoded, then base64 (RFC 6749 §2.3.1). */
export const basic = (id: string, secret: string): string => 'Basic ' + Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64');

const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export interface FormResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

const parsed = (status: number, headers: Headers, text: string): FormResponse => {
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, body: json, text };
};

/** POSTs a raw form body (exactly as given) to a token-service path. */
export async function postForm(p: TestPlatform, path: string, body: string | Blob, headers: Record<string, string> = FORM): Promise<FormResponse> {
  const res = await fetch(p.url + path, { method: 'POST', headers, body });
  return parsed(res.status, res.headers, await res.text());
}

/**
 * POSTs with header lines exactly as given, repeats included (fetch would
 * merge two `Authorization` headers into one comma-joined value).
 */
export function postRawHeaders(p: TestPlatform, path: string, body: string, headers: [string, string][]): Promise<FormResponse> {
  const lines: Record<string, string[]> = {};
  for (const [name, value] of headers) (lines[name.toLowerCase()] ??= []).push(value);
  return new Promise((resolve, reject) => {
    const req = httpRequest(p.url + path, { method: 'POST', headers: { ...lines, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) h.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve(parsed(res.statusCode!, h, Buffer.concat(chunks).toString('utf8')));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const REALM_CHALLENGE = 'Basic realm="drawbridge"';

/**
 * An OAuth error exactly as RFC 6749 §5.2 and the token service's renderer
 * say: the status, the whole body, `Cache-Control: no-store`, `Pragma:
 * no-cache`, JSON in UTF-8, and `WWW-Authenticate: Basic` on a 401 only.
 */
export function expectOAuthError(res: FormResponse, status: number, error: string, description: string): void {
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { error, error_description: description } });
  expect(res.text).toBe(JSON.stringify({ error, error_description: description }));
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('pragma')).toBe('no-cache');
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(res.headers.get('www-authenticate')).toBe(status === 401 ? REALM_CHALLENGE : null);
}

export { startTestPlatform };
export type { TestPlatform };
