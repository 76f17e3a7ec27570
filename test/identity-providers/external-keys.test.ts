import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newClient, startWorld, type World } from './setup.js';

/**
 * "Add Keys" (routes/external-keys.ts) against the token service's per-node
 * client cache (1 s, src/token-service/client-auth.ts): whatever the route
 * leaves in the database is what /oauth2/token answers on this node at once.
 */
describe('external keys and the client cache', () => {
  let w: World;
  const external = (appId: string, env = 'development') => `/api/v1/orgs/${w.org.handle}/applications/${appId}/credentials/${env}/external`;
  const credentials = (appId: string) => `/api/v1/orgs/${w.org.handle}/applications/${appId}/credentials`;
  const token = (client: { clientId: string; clientSecret: string }) =>
    fetch(`${w.platform.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));

  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(() => w?.close());

  it('never replaces built-in keys: 409, and the cached client keeps getting tokens with the same keys', async () => {
    const client = await newClient(w.platform.admin, w.org.handle, 'builtin-app', ['client_credentials']);
    expect((await token(client)).status).toBe(200); // now in the client cache
    const put = await w.platform.admin.put(external(client.appId), { idpName: 'corp', clientId: 'corp-client-1' });
    expect(put.status).toBe(409);
    expect(put.body).toEqual({
      code: 'conflict',
      message: 'The development environment of this application has built-in keys; an application uses either built-in or external keys per environment',
      fields: { environment: 'has built-in keys' },
    });
    const listed = (await w.platform.admin.get(credentials(client.appId))).body as { environment: string; kind: string; clientId?: string }[];
    expect(listed.find((c) => c.environment === 'development')).toMatchObject({ kind: 'builtin', clientId: client.clientId });
    expect((await token(client)).status).toBe(200);
    expect((await w.platform.admin.delete(external(client.appId))).status).toBe(404);
    expect((await token(client)).status).toBe(200);
  });

  it('tells the client caches only once its change is committed (replace and remove), so no cache can re-read the rows it replaced', async () => {
    const client = await newClient(w.platform.admin, w.org.handle, 'external-app', ['client_credentials']);
    const file = w.platform.config.databaseUrl.replace(/^sqlite:/, '');
    const reader = new Database(file, { readonly: true, fileMustExist: true });
    const seen: string[][] = [];
    const stop = w.platform.store.changes.subscribe(({ changes }) => {
      if (!changes.some((change) => change.kind === 'credentials')) return;
      // A second connection sees only committed rows: what another node, or a cache refill, would read.
      const rows = reader
        .prepare("select external_client_id from credentials where application_id = ? and environment_id = (select id from environments where org_id = ? and name = 'production')")
        .all(client.appId, w.org.id) as { external_client_id: string }[];
      seen.push(rows.map((r) => r.external_client_id));
    });
    try {
      expect((await w.platform.admin.put(external(client.appId, 'production'), { idpName: 'corp', clientId: 'corp-first' })).status).toBe(200);
      seen.length = 0;
      const replaced = await w.platform.admin.put(external(client.appId, 'production'), { idpName: 'corp', clientId: 'corp-second' });
      expect(replaced.status).toBe(200);
      expect(replaced.body).toMatchObject({ kind: 'external', identityProvider: 'corp', externalClientId: 'corp-second' });
      expect(seen.at(-1)).toEqual(['corp-second']);

      seen.length = 0;
      expect((await w.platform.admin.delete(external(client.appId, 'production'))).status).toBe(204);
      expect(seen.at(-1)).toEqual([]);
    } finally {
      stop();
      reader.close();
    }
    // The built-in keys of the other environment were never touched.
    expect((await token(client)).status).toBe(200);
  });
});
