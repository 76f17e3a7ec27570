import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { sha256 } from '../../src/shared/crypto.js';
import { basic, expectOAuthError, FORM, newConsumer, postForm, postRawHeaders, startTestPlatform, type Consumer, type TestPlatform } from './fixture.js';

const GRANT = 'grant_type=client_credentials';

describe('client authentication at the token endpoint', () => {
  let p: TestPlatform;
  let c: Consumer;
  const clock = new ManualClock(Date.UTC(2026, 2, 1));

  beforeAll(async () => {
    p = await startTestPlatform({ clock });
    c = await newConsumer(p);
  });
  afterAll(() => p.close());

  const expectInvalidClient = (res: Awaited<ReturnType<typeof postForm>>, description = 'Client authentication failed') => expectOAuthError(res, 401, 'invalid_client', description);

  it('a wrong secret is 401 invalid_client with WWW-Authenticate: Basic', async () => {
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(c.clientId, c.clientSecret + 'x') }));
  });

  it('an unknown client gets the same answer as a wrong secret', async () => {
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic('dbc_nobody', c.clientSecret) }));
    expectInvalidClient(await postForm(p, '/oauth2/token', `${GRANT}&client_id=dbc_nobody&client_secret=x`));
  });

  it('no client authentication at all is 401 invalid_client', async () => {
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT), 'Client authentication is required (client_secret_basic or client_secret_post)');
  });

  it('a client_id without a secret (a public client) is 401 invalid_client', async () => {
    expectInvalidClient(await postForm(p, '/oauth2/token', `${GRANT}&client_id=${c.clientId}`), 'Client authentication is required (client_secret_basic or client_secret_post)');
  });

  it('a Bearer or other scheme is 401 invalid_client', async () => {
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: 'Bearer abc' }), 'Authenticate the client with HTTP Basic (client_secret_basic) or client_secret_post');
  });

  it('using two authentication methods at once is refused', async () => {
    const res = await postForm(p, '/oauth2/token', `${GRANT}&client_secret=${c.clientSecret}`, { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'Use one client authentication method: both an Authorization header and client_secret were sent');
  });

  it('a Bearer header plus client_secret in the body is two methods too: 400, not 401', async () => {
    for (const path of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
      const res = await postForm(p, path, `${GRANT}&token=x&client_id=${c.clientId}&client_secret=${c.clientSecret}`, { ...FORM, authorization: 'Bearer abc' });
      expectOAuthError(res, 400, 'invalid_request', 'Use one client authentication method: both an Authorization header and client_secret were sent');
    }
  });

  for (const path of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
    it(`a repeated Authorization header at ${path} is 400 invalid_request, not whichever copy Node keeps`, async () => {
      const res = await postRawHeaders(p, path, `${GRANT}&token=x`, [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['authorization', basic(c.clientId, c.clientSecret)],
        ['authorization', basic('dbc_other', 'x')],
      ]);
      expectOAuthError(res, 400, 'invalid_request', 'The Authorization header is repeated');
      // Repeated with the same value, still refused; the header name's case does not matter.
      const same = await postRawHeaders(p, path, `${GRANT}&token=x`, [
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['Authorization', basic(c.clientId, c.clientSecret)],
        ['AUTHORIZATION', basic(c.clientId, c.clientSecret)],
      ]);
      expectOAuthError(same, 400, 'invalid_request', 'The Authorization header is repeated');
    });

    it(`a repeated Content-Type header at ${path} is 400 invalid_request`, async () => {
      const res = await postRawHeaders(p, path, `${GRANT}&token=x`, [
        ['content-type', 'application/x-www-form-urlencoded'],
        ['content-type', 'application/json'],
        ['authorization', basic(c.clientId, c.clientSecret)],
      ]);
      expectOAuthError(res, 400, 'invalid_request', 'The Content-Type header is repeated');
    });
  }

  it('one Authorization and one Content-Type header through the raw client works (the control for the cases above)', async () => {
    const res = await postRawHeaders(p, '/oauth2/token', GRANT, [
      ['content-type', 'application/x-www-form-urlencoded'],
      ['authorization', basic(c.clientId, c.clientSecret)],
    ]);
    expect(res.status).toBe(200);
  });

  it('a secret in the query string is refused', async () => {
    const res = await postForm(p, `/oauth2/token?client_secret=${c.clientSecret}`, `${GRANT}&client_id=${c.clientId}`);
    expectOAuthError(res, 400, 'invalid_request', 'Client secrets must not be sent in the URL query');
  });

  it('a repeated client_secret is refused rather than picking one', async () => {
    const res = await postForm(p, '/oauth2/token', `${GRANT}&client_id=${c.clientId}&client_secret=wrong&client_secret=${c.clientSecret}`);
    expectOAuthError(res, 400, 'invalid_request', 'The client_secret parameter is repeated');
  });

  it('a client_id in the body that differs from the Basic one is refused', async () => {
    const res = await postForm(p, '/oauth2/token', `${GRANT}&client_id=dbc_someone_else`, { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expectOAuthError(res, 400, 'invalid_request', 'client_id in the body does not match the Authorization header');
  });

  it('the same client_id in the body and the Basic header is fine', async () => {
    const res = await postForm(p, '/oauth2/token', `${GRANT}&client_id=${c.clientId}`, { ...FORM, authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(200);
  });

  const NOT_BASIC = 'The Authorization header is not valid Basic credentials';
  const NO_PAIR = 'The Basic credentials must be "client_id:client_secret"';
  for (const [name, header, description] of [
    ['not base64', 'Basic !!!', NOT_BASIC],
    ['non-canonical base64 (stray bits)', 'Basic YR==', NOT_BASIC],
    ['no colon', 'Basic ' + Buffer.from('just-an-id').toString('base64'), NO_PAIR],
    ['an empty client id', 'Basic ' + Buffer.from(':secret').toString('base64'), NO_PAIR],
    ['nothing after the scheme', 'Basic', NOT_BASIC],
    ['bad percent-encoding in the id', 'Basic ' + Buffer.from('id%zz:secret').toString('base64'), 'The Basic credentials are not valid form-urlencoded (RFC 6749 §2.3.1)'],
    ['bad percent-encoding in the secret', 'Basic ' + Buffer.from('id:sec%E0%A4%Aret').toString('base64'), 'The Basic credentials are not valid form-urlencoded (RFC 6749 §2.3.1)'],
  ] as const) {
    it(`a malformed Basic header (${name}) is 400 invalid_request`, async () => {
      const res = await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: header });
      expectOAuthError(res, 400, 'invalid_request', description);
    });
  }

  it('Basic credentials are form-urlencoded before base64 (a secret with reserved characters)', async () => {
    // The generated secrets are URL-safe; this checks the decoding rule with an encoded ID instead.
    const encodedId = c.clientId.replace(/_/g, '%5F');
    const header = 'Basic ' + Buffer.from(`${encodedId}:${c.clientSecret}`).toString('base64');
    const res = await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: header });
    expect(res.status).toBe(200);
  });

  it('the scheme name is case-insensitive', async () => {
    const res = await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(c.clientId, c.clientSecret).replace('Basic', 'basic') });
    expect(res.status).toBe(200);
  });

  it('a regenerated secret replaces the old one at once without a grace period', async () => {
    const d = await newConsumer(p);
    const regen = await p.admin.post(`/api/v1/orgs/${d.org.handle}/applications/${d.appId}/credentials/development/secret`, {});
    expect(regen.status).toBe(200);
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, d.clientSecret) }));
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, regen.body.clientSecret) })).status).toBe(200);
  });

  it('the old secret keeps working during the grace period, and not after it', async () => {
    const d = await newConsumer(p);
    const regen = await p.admin.post(`/api/v1/orgs/${d.org.handle}/applications/${d.appId}/credentials/development/secret`, { gracePeriod: 300 });
    expect(regen.status).toBe(200);
    expect(regen.body.previousSecretExpiresAt).toBe(new Date(clock.now() + 300_000).toISOString());
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, d.clientSecret) })).status).toBe(200);
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, regen.body.clientSecret) })).status).toBe(200);
    clock.advance(300_000);
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, d.clientSecret) }));
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, regen.body.clientSecret) })).status).toBe(200);
  });

  it('a cached client does not outlive a secret change made by any code path in this process', async () => {
    const d = await newConsumer(p);
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, d.clientSecret) })).status).toBe(200);
    const credential = (await p.store.credentials.forApplication(d.org.id, d.appId))[0]!;
    await p.store.credentials.replaceSecret(d.org.id, credential.id, sha256('dbs_replaced'), null);
    expectInvalidClient(await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, d.clientSecret) }));
    expect((await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(d.clientId, 'dbs_replaced') })).status).toBe(200);
  });

  it('credentials of one environment do not authenticate anywhere else (tokens carry their environment)', async () => {
    const prod = await newConsumer(p, { environment: 'production' });
    const res = await postForm(p, '/oauth2/token', GRANT, { ...FORM, authorization: basic(prod.clientId, prod.clientSecret) });
    expect(res.status).toBe(200);
    const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.env).toBe('production');
    expect(claims.aud).toBe(`urn:drawbridge:${prod.org.id}:production`);
  });
});
