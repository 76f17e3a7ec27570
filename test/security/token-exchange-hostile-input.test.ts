import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exchange, startWorld, TT, type World } from '../identity-providers/setup.js';

/**
 * Issue 15, token exchange: a `resource` with a fragment or under another
 * organization's path (item 5), duplicate JSON members in a subject token
 * (item 7), and a repeated `audience` (item 8).
 */

const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** An IdP we hold the key of, so we can sign exactly the JSON text we want (jose would never write a duplicate member). */
async function rawIdp(): Promise<{ issuer: string; jwksUri: string; signRaw(header: string, payload: string): string; close(): Promise<void> }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'raw-1', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer: `${base}/raw`,
    jwksUri: `${base}/jwks`,
    signRaw(header, payload) {
      const input = `${b64(header)}.${b64(payload)}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('token exchange: hostile input (issue 15)', () => {
  let w: World;
  let raw: Awaited<ReturnType<typeof rawIdp>>;
  let gatewayUrl: string;
  const now = () => Math.floor(w.clock.now() / 1000);

  beforeAll(async () => {
    w = await startWorld();
    raw = await rawIdp();
    const registered = await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers`, {
      name: 'raw',
      kind: 'generic-oidc',
      issuer: raw.issuer,
      jwksUri: raw.jwksUri,
      audiences: ['api://raw'],
    });
    if (registered.status !== 201) throw new Error(registered.text);
    const envs = await w.platform.admin.get(`/api/v1/orgs/${w.org.handle}/environments`);
    gatewayUrl = (envs.body as { name: string; gatewayUrl: string }[]).find((e) => e.name === 'development')!.gatewayUrl.replace(/\/+$/, '');
  }, 30_000);
  afterAll(async () => {
    await raw?.close();
    await w?.close();
  });

  const subject = () => w.idp.clientCredentialsToken();
  const form = (pairs: [string, string][]) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  /** Posts a raw form body (URLSearchParams cannot send a parameter twice through `exchange`'s record). */
  const post = async (body: string) => {
    const res = await fetch(`${w.platform.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(w.client.clientId)}:${encodeURIComponent(w.client.clientSecret)}`).toString('base64')}`,
      },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const grant: [string, string] = ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'];

  describe('item 5: resource', () => {
    it('refuses a resource with a fragment (RFC 8693 §2.1: MUST NOT), even an empty one', async () => {
      for (const resource of [`${gatewayUrl}/${w.org.handle}/orders/v1#frag`, `${gatewayUrl}/${w.org.handle}/orders/v1#`]) {
        const res = await exchange(w, { subject_token: await subject(), subject_token_type: TT.access, resource });
        expect({ resource, status: res.status, body: res.body }).toEqual({
          resource,
          status: 400,
          body: { error: 'invalid_target', error_description: 'The resource parameter must not contain a fragment (RFC 8693 §2.1)' },
        });
      }
    });

    it("refuses a resource under another organization's API path, the gateway root, a dot-segment escape and a relative URI", async () => {
      const description = `Tokens can only be issued for resources of this organization's APIs on the development gateway (${gatewayUrl}/${w.org.handle}/…)`;
      for (const resource of [
        `${gatewayUrl}/globex/orders/v1/items`,
        `${gatewayUrl}/${w.org.handle}x/orders/v1`,
        gatewayUrl,
        `${gatewayUrl}/${w.org.handle}/../globex/orders/v1`,
        `${gatewayUrl}/${w.org.handle}/%2e%2e/globex/orders`,
      ]) {
        const res = await exchange(w, { subject_token: await subject(), subject_token_type: TT.access, resource });
        expect({ resource, status: res.status, body: res.body }).toEqual({ resource, status: 400, body: { error: 'invalid_target', error_description: description } });
      }
      const relative = await exchange(w, { subject_token: await subject(), subject_token_type: TT.access, resource: `/${w.org.handle}/orders/v1` });
      expect(relative.body).toEqual({ error: 'invalid_target', error_description: 'The resource parameter must be an absolute URI (RFC 8693 §2.1)' });
    });

    it("accepts resources of the client's own organization, several at once", async () => {
      const res = await post(
        form([
          grant,
          ['subject_token', await subject()],
          ['subject_token_type', TT.access],
          ['resource', `${gatewayUrl}/${w.org.handle}/orders/v1`],
          ['resource', `${gatewayUrl}/${w.org.handle}/billing/v2/invoices?x=1`],
        ]),
      );
      expect(res.status).toBe(200);
      expect(res.body.issued_token_type).toBe(TT.access);
    });
  });

  describe('item 7: duplicate JSON members in a subject token', () => {
    const payload = (sub: string) => `{"iss":${JSON.stringify(raw.issuer)},"aud":"api://raw","client_id":"raw-app","iat":${now()},"exp":${now() + 300},${sub}}`;
    const header = '{"alg":"ES256","typ":"at+jwt","kid":"raw-1"}';

    it('a properly signed token without duplicates passes (the control)', async () => {
      const res = await exchange(w, { subject_token: raw.signRaw(header, payload('"sub":"alice"')), subject_token_type: TT.access });
      expect(res.status).toBe(200);
    });

    it('refuses {"sub":"alice","sub":"admin"} with invalid_request, even properly signed', async () => {
      const res = await exchange(w, { subject_token: raw.signRaw(header, payload('"sub":"alice","sub":"admin"')), subject_token_type: TT.access });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: 'The subject token was refused (format): The JWT payload has the member "sub" more than once; a token with duplicate member names is refused (RFC 7519 §4)',
        },
      });
    });

    it('compares names decoded ("\\u0073ub" is "sub"), looks into nested objects, and checks the header too', async () => {
      const escaped = await exchange(w, { subject_token: raw.signRaw(header, payload('"sub":"alice","\\u0073ub":"admin"')), subject_token_type: TT.access });
      expect(escaped.body.error_description).toBe(
        'The subject token was refused (format): The JWT payload has the member "sub" more than once; a token with duplicate member names is refused (RFC 7519 §4)',
      );
      const nested = await exchange(w, { subject_token: raw.signRaw(header, payload('"sub":"alice","act":{"sub":"x","sub":"y"}')), subject_token_type: TT.access });
      expect(nested.body.error).toBe('invalid_request');
      const twoAlgs = await exchange(w, { subject_token: raw.signRaw('{"alg":"none","alg":"ES256","typ":"at+jwt","kid":"raw-1"}', payload('"sub":"alice"')), subject_token_type: TT.access });
      expect(twoAlgs.body.error_description).toBe(
        'The subject token was refused (format): The JWT header has the member "alg" more than once; a token with duplicate member names is refused (RFC 7519 §4)',
      );
      // The same name in two different objects is not a duplicate.
      const distinct = await exchange(w, { subject_token: raw.signRaw(header, payload('"sub":"alice","act":{"sub":"bob"}')), subject_token_type: TT.access });
      expect(distinct.status).toBe(200);
    });

    it('the explain action reports the same refusal at the format step', async () => {
      const res = await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers/raw/explain`, { token: raw.signRaw(header, payload('"sub":"alice","sub":"admin"')) });
      expect(res.body.valid).toBe(false);
      expect(res.body.steps).toEqual([
        { step: 'format', ok: false, code: 'malformed', message: 'The JWT payload has the member "sub" more than once; a token with duplicate member names is refused (RFC 7519 §4)' },
      ]);
    });
  });

  describe('item 8: repeated audience', () => {
    const audience = () => `urn:drawbridge:${w.org.id}:development`;

    it('accepts the same audience twice (RFC 8693 §2.1 allows several audience parameters)', async () => {
      const res = await post(form([grant, ['subject_token', await subject()], ['subject_token_type', TT.access], ['audience', audience()], ['audience', audience()]]));
      expect(res.status).toBe(200);
      expect(res.body.token_type).toBe('Bearer');
    });

    it('refuses a second audience it will not issue for with invalid_target', async () => {
      const res = await post(form([grant, ['subject_token', await subject()], ['subject_token_type', TT.access], ['audience', audience()], ['audience', 'https://elsewhere.example']]));
      expect(res).toEqual({ status: 400, body: { error: 'invalid_target', error_description: `Tokens can only be issued for audience ${audience()} (this client's environment "development")` } });
    });

    it('still refuses other repeated parameters (RFC 6749 §3.1)', async () => {
      const token = await subject();
      const res = await post(form([grant, ['subject_token', token], ['subject_token', token], ['subject_token_type', TT.access]]));
      expect(res).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'The subject_token parameter is repeated' } });
      const scope = await post(form([grant, ['subject_token', token], ['subject_token_type', TT.access], ['scope', 'read'], ['scope', 'read']]));
      expect(scope.body).toEqual({ error: 'invalid_request', error_description: 'The scope parameter is repeated' });
    });
  });
});
