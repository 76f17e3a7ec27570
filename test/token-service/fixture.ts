import { startTestPlatform, type Api, type TestPlatform, type TestPlatformOptions } from '../helpers/platform.js';

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
export const basic = (id: string, secret: string): string =>
  'Basic ' + Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64');

export const formEncode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** POSTs a raw form body (exactly as given) to a token-service path. */
export async function postForm(p: TestPlatform, path: string, body: string, headers: Record<string, string> = FORM) {
  const res = await fetch(p.url + path, { method: 'POST', headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch { json = undefined; }
  return { status: res.status, headers: res.headers, body: json, text };
}

export { startTestPlatform };
export type { TestPlatform, TestPlatformOptions };
