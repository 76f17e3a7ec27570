import { createHmac } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { exchange, newClient, startWorld, TT, type World } from './setup.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Each hostile subject token is refused with invalid_request naming the check that failed. */
describe('token exchange refuses bad subject tokens', () => {
  let w: World;
  let other: TestIdp;
  const now = () => Math.floor(w.clock.now() / 1000);
  const refused = async (token: string, type: string = TT.access) => {
    const res = await exchange(w, { subject_token: token, subject_token_type: type });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.text).not.toContain(token);
    return res.body.error_description as string;
  };
  const claims = () => ({ sub: 'alice', aud: w.idp.audience, client_id: 'mobile' });
  const at = { header: { typ: 'at+jwt' } };

  beforeAll(async () => {
    w = await startWorld();
    other = await startTestIdp({ audience: 'https://api.test' });
  }, 30_000);
  afterAll(async () => {
    await other?.close();
    await w?.close();
  });

  it('a well-formed control token passes (so the refusals below are about their one defect)', async () => {
    const res = await exchange(w, { subject_token: await w.idp.sign(claims(), at), subject_token_type: TT.access });
    expect(res.status).toBe(200);
  });

  it('prevents unsigned tokens: alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: w.idp.kid })}.${b64({ iss: w.idp.issuer, ...claims(), exp: now() + 300 })}.`;
    expect(await refused(token)).toBe('The subject token was refused (header): alg "none" (unsigned token) is never accepted');
  });

  it('prevents key confusion: HS256 signed with the IdP public key', async () => {
    const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: w.idp.kid });
    const payload = b64({ iss: w.idp.issuer, ...claims(), exp: now() + 300 });
    const sig = createHmac('sha256', JSON.stringify(w.idp.publicJwk())).update(`${header}.${payload}`).digest('base64url');
    expect(await refused(`${header}.${payload}.${sig}`)).toBe(
      "The subject token was refused (header): alg HS256 (HMAC) is never accepted for identity provider tokens: they must be signed with the IdP's private key",
    );
  });

  it('prevents JWKS refetch storms: 1000 random kids cause at most one fetch per 30 s', async () => {
    const before = w.idp.jwksRequests;
    const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => w.idp.sign(claims(), { header: { typ: 'at+jwt', kid: `random-${i}-${Math.random()}` } })));
    const results = await Promise.all(tokens.map((t) => exchange(w, { subject_token: t, subject_token_type: TT.access })));
    expect(
      results.every((r) => r.status === 400 && r.body.error_description === 'The subject token was refused (signature): No key with the token\'s kid is published by identity provider "corp"'),
    ).toBe(true);
    expect(w.idp.jwksRequests - before).toBe(1);
    w.clock.advance(29_000);
    await refused(await w.idp.sign(claims(), { header: { typ: 'at+jwt', kid: 'still-random' } }));
    expect(w.idp.jwksRequests - before).toBe(1);
    w.clock.advance(1_000);
    await refused(await w.idp.sign(claims(), { header: { typ: 'at+jwt', kid: 'random-after-cooldown' } }));
    expect(w.idp.jwksRequests - before).toBe(2);
  }, 60_000);

  it("prevents issuer spoofing: IdP A's issuer signed with IdP B's key", async () => {
    w.clock.advance(31_000);
    const foreign = await other.sign({ ...claims(), iss: w.idp.issuer }, at);
    expect(await refused(foreign)).toBe('The subject token was refused (signature): No key with the token\'s kid is published by identity provider "corp"');
    const spoofedKid = await other.sign({ ...claims(), iss: w.idp.issuer }, { header: { typ: 'at+jwt', kid: w.idp.kid } });
    expect(await refused(spoofedKid)).toBe("The subject token was refused (signature): The signature does not verify with the identity provider's published keys");
  });

  it('prevents cross-tenant use: an issuer registered only by another organization', async () => {
    const org2 = (await w.platform.admin.post('/api/v1/orgs', { name: 'Globex' })).body;
    const reg = await w.platform.admin.post(`/api/v1/orgs/${org2.handle}/identity-providers`, {
      name: 'globex-idp',
      kind: 'generic-oidc',
      wellKnownUrl: other.wellKnownUrl,
      audiences: [other.audience],
    });
    expect(reg.status).toBe(201);
    const token = await other.clientCredentialsToken();
    expect(await refused(token)).toBe(`The subject token was refused (issuer): ${JSON.stringify(other.issuer)} is not the issuer of any identity provider of this organization`);
    const client2 = await newClient(w.platform.admin, org2.handle, 'globex-app');
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access }, client2)).status).toBe(200);
  });

  it('refuses PS256 against a key pinned to RS256 (no_matching_key), before any signature check', async () => {
    // The JWKS key declares alg RS256, so no other RSA algorithm may use it, whatever the signature.
    const header = b64({ alg: 'PS256', typ: 'at+jwt', kid: w.idp.kid });
    const payload = b64({ iss: w.idp.issuer, ...claims(), iat: now(), exp: now() + 300 });
    const token = `${header}.${payload}.${Buffer.alloc(256, 7).toString('base64url')}`;
    expect(await refused(token)).toBe(`The subject token was refused (signature): The key ${JSON.stringify(w.idp.kid)} is an RSA key (allowed: RS256) and may not verify PS256`);
    const explained = await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers/corp/explain`, { token });
    expect(explained.body.steps.find((step: { step: string }) => step.step === 'signature')).toEqual({
      step: 'signature',
      ok: false,
      code: 'no_matching_key',
      message: `The key ${JSON.stringify(w.idp.kid)} is an RSA key (allowed: RS256) and may not verify PS256`,
    });
  });

  it('refuses an expired token (beyond the clock skew)', async () => {
    const exp = now() - 61;
    expect(await refused(await w.idp.sign({ ...claims(), iat: exp - 300, exp }, at))).toBe(
      `The subject token was refused (expiry): The token expired at ${new Date(exp * 1000).toISOString()} (allowed clock skew 60 s)`,
    );
  });

  it('refuses a token whose nbf is in the future', async () => {
    const nbf = now() + 600;
    expect(await refused(await w.idp.sign({ ...claims(), nbf }, at))).toBe(
      `The subject token was refused (not-before): The token is not valid before ${new Date(nbf * 1000).toISOString()} (allowed clock skew 60 s)`,
    );
  });

  it('refuses a token without exp', async () => {
    expect(await refused(await w.idp.sign(claims(), { ...at, omit: ['exp'] }))).toBe('The subject token was refused (expiry): The token has no "exp" claim; tokens without an expiry are not accepted');
  });

  it('refuses an absurdly large exp', async () => {
    const exp = now() + 10 * 365 * 86_400;
    expect(await refused(await w.idp.sign({ ...claims(), exp }, at))).toBe(
      `The subject token was refused (expiry): "exp" (${new Date(exp * 1000).toISOString()}) is further in the future than the maximum token age of 86400 s allows`,
    );
  });

  it('refuses a wrong audience', async () => {
    expect(await refused(await w.idp.sign({ ...claims(), aud: 'https://other.example' }, at))).toBe(
      'The subject token was refused (audience): None of the token\'s audiences ("https://other.example") is allowed for identity provider "corp"',
    );
  });

  it('refuses an audience array without an allowed member', async () => {
    expect(await refused(await w.idp.sign({ ...claims(), aud: ['https://a.example', 'https://b.example'] }, at))).toBe(
      'The subject token was refused (audience): None of the token\'s audiences ("https://a.example", "https://b.example") is allowed for identity provider "corp"',
    );
  });

  it('refuses malformed base64', async () => {
    const good = await w.idp.sign(claims(), at);
    const [h, p, s] = good.split('.');
    expect(await refused(`${h}.${p!.slice(0, 10)}*${p!.slice(11)}.${s}`)).toBe('The subject token was refused (format): The JWT payload is not valid base64url-encoded JSON');
    expect(await refused('not-a-jwt')).toBe('The subject token was refused (format): The token is not a JWT (expected three base64url parts separated by dots)');
  });

  it('refuses an oversized token before reading it', async () => {
    const token = await w.idp.sign({ ...claims(), padding: 'x'.repeat(20_000) }, at);
    const res = await exchange(w, { subject_token: token, subject_token_type: TT.access });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'The request body is too large' });
  });

  it('refuses a crit header', async () => {
    expect(await refused(await w.idp.sign(claims(), { header: { typ: 'at+jwt', crit: ['b64'], b64: true } }))).toBe(
      'The subject token was refused (header): The header lists critical extensions ("crit") and none is supported',
    );
  });

  it('ignores embedded jwk / jku headers: keys come only from the JWKS', async () => {
    w.clock.advance(31_000);
    const attacker = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(attacker.publicKey)), kid: 'attacker' };
    const payload = { iss: w.idp.issuer, ...claims(), iat: now(), exp: now() + 300 };
    const withJwk = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', jwk }).sign(attacker.privateKey);
    expect(await refused(withJwk)).toBe('The subject token was refused (signature): No key with the token\'s kid is published by identity provider "corp"');
    const withJku = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: w.idp.kid, jku: 'https://attacker.example/jwks' }).sign(attacker.privateKey);
    expect(await refused(withJku)).toBe("The subject token was refused (signature): The signature does not verify with the identity provider's published keys");
    // The same headers on a token the IdP did sign change nothing.
    const legit = await w.idp.sign(claims(), { header: { typ: 'at+jwt', jku: 'https://attacker.example/jwks', jwk } });
    expect((await exchange(w, { subject_token: legit, subject_token_type: TT.access })).status).toBe(200);
  });

  it('refuses an ID token declared as an access token, and the reverse (the IdP marks types with at+jwt)', async () => {
    const idToken = await w.idp.sign({ ...claims(), nonce: 'n', auth_time: now() }, { header: { typ: 'JWT' } });
    expect(await refused(idToken, TT.access)).toBe('The subject token was refused (token-type): An ID token was presented where an access token was declared');
    const accessToken = await w.idp.clientCredentialsToken();
    expect(await refused(accessToken, TT.id)).toBe('The subject token was refused (token-type): An access token was presented where an ID token was declared');
    expect((await exchange(w, { subject_token: idToken, subject_token_type: TT.id })).status).toBe(200);
  });
});

/** A token without kid costs at most a few signature checks, however many keys the IdP publishes. */
describe('token exchange with tokens that name no kid', () => {
  let w: World;
  const claims = () => ({ sub: 'dave', aud: w.idp.audience, client_id: 'mobile' });
  const kidless = { header: { typ: 'at+jwt', kid: undefined } };
  beforeAll(async () => {
    w = await startWorld();
  }, 30_000);
  afterAll(async () => {
    await w?.close();
  });

  it('tries a kid-less token against the keys while there are at most 3 candidates', async () => {
    await w.idp.rotateKeys();
    await w.idp.rotateKeys();
    expect((await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers/corp/test`)).body.keys).toHaveLength(3);
    const token = await w.idp.sign(claims(), kidless);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).not.toHaveProperty('kid');
    expect((await exchange(w, { subject_token: token, subject_token_type: TT.access })).status).toBe(200);
  });

  it('refuses a kid-less token when more than 3 keys may verify its alg (kid_required), and still accepts one with its kid', async () => {
    await w.idp.rotateKeys();
    expect((await w.platform.admin.post(`/api/v1/orgs/${w.org.handle}/identity-providers/corp/test`)).body.keys).toHaveLength(4);
    const res = await exchange(w, { subject_token: await w.idp.sign(claims(), kidless), subject_token_type: TT.access });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      error: 'invalid_request',
      error_description:
        'The subject token was refused (signature): The token has no "kid" and identity provider "corp" publishes 4 keys that may verify RS256; a token without kid is checked against at most 3, so it must name its key',
    });
    expect((await exchange(w, { subject_token: await w.idp.sign(claims(), { header: { typ: 'at+jwt' } }), subject_token_type: TT.access })).status).toBe(200);
  });
});
