import { ManualClock } from '../../src/shared/clock.js';
import { startTestIdp, type TestIdp, type TestIdpOptions } from '../helpers/oidc-idp.js';
import { startTestPlatform, type Api, type TestPlatform } from '../helpers/platform.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TT = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  access: 'urn:ietf:params:oauth:token-type:access_token',
  id: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

export interface World {
  platform: TestPlatform;
  clock: ManualClock;
  idp: TestIdp;
  org: { id: string; handle: string };
  client: { clientId: string; clientSecret: string; appId: string };
  close(): Promise<void>;
}

/** A platform (private IdP URLs allowed, manual clock at real time), one org, the test IdP registered through discovery, and a client allowed to exchange. */
export async function startWorld(options: { idp?: TestIdpOptions; idpBody?: Record<string, unknown> } = {}): Promise<World> {
  const clock = new ManualClock(Date.now());
  const idp = await startTestIdp(options.idp);
  const platform = await startTestPlatform({ clock, env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
  const orgRes = await platform.admin.post('/api/v1/orgs', { name: 'Acme' });
  const org = orgRes.body as { id: string; handle: string };
  const created = await platform.admin.post(`/api/v1/orgs/${org.handle}/identity-providers`, {
    name: 'corp',
    kind: 'generic-oidc',
    wellKnownUrl: idp.wellKnownUrl,
    audiences: [idp.audience],
    tokenTyping: 'at+jwt',
    ...options.idpBody,
  });
  if (created.status !== 201) throw new Error(`IdP registration failed: ${created.status} ${created.text}`);
  const client = await newClient(platform.admin, org.handle, 'mobile-app');
  return {
    platform,
    clock,
    idp,
    org,
    client,
    async close() {
      await platform.close();
      await idp.close();
    },
  };
}

/** An external consumer with built-in keys in development allowing token exchange (scopes read, write). */
export async function newClient(admin: Api, handle: string, name: string, grantTypes = [TOKEN_EXCHANGE]): Promise<{ clientId: string; clientSecret: string; appId: string }> {
  const component = await admin.post(`/api/v1/orgs/${handle}/projects/default/components`, { type: 'external-consumer', name, displayName: name });
  if (component.status !== 201) throw new Error(`component: ${component.status} ${component.text}`);
  const application = await admin.get(`/api/v1/orgs/${handle}/projects/default/components/${name}/application`);
  const keys = await admin.post(`/api/v1/orgs/${handle}/applications/${application.body.id}/credentials/development/keys`, { grantTypes, scopes: ['read', 'write'] });
  if (keys.status !== 201) throw new Error(`keys: ${keys.status} ${keys.text}`);
  return { clientId: keys.body.clientId, clientSecret: keys.body.clientSecret, appId: application.body.id };
}

/** POSTs a form to the token endpoint with client_secret_basic. */
export async function exchange(world: Pick<World, 'platform' | 'client'>, params: Record<string, string>, client = world.client) {
  const res = await fetch(`${world.platform.url}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, ...params }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, any>, text };
}
