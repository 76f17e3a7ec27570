import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../helpers/oidc-idp.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { runCli, type CliRun } from '../helpers/cli.js';

describe('drawbridge idp', () => {
  let platform: TestPlatform;
  let idp: TestIdp;
  let org: string;

  /** Runs the real executable asynchronously (the platform lives in this process). */
  function cli(args: string[]): Promise<CliRun> {
    return runCli(args, { DRAWBRIDGE_URL: platform.url, DRAWBRIDGE_TOKEN: platform.admin.token!, DRAWBRIDGE_ORG: org, DRAWBRIDGE_CLI_CONFIG: '/nonexistent/cli.json' });
  }

  beforeAll(async () => {
    idp = await startTestIdp();
    platform = await startTestPlatform({ env: { DRAWBRIDGE_ALLOW_PRIVATE_IDP_URLS: 'true' } });
    org = (await platform.admin.post('/api/v1/orgs', { name: 'Cli Idp' })).body.handle;
  }, 30_000);
  afterAll(async () => {
    await platform?.close();
    await idp?.close();
  });

  it('discovers, creates, lists, gets, tests, updates and deletes', async () => {
    const discovered = await cli(['idp', 'discover', idp.wellKnownUrl, '--json']);
    expect(discovered.code).toBe(0);
    expect(JSON.parse(discovered.stdout)).toMatchObject({ issuer: idp.issuer, jwksUri: idp.jwksUri, issuerMatches: true });

    const created = await cli(['idp', 'create', 'corp', '--kind', 'keycloak', '--well-known-url', idp.wellKnownUrl, '--audience', 'api://a', '--audience', 'api://b', '--json']);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'corp', kind: 'keycloak', audiences: ['api://a', 'api://b'], clientIdClaims: ['azp'], tokenTyping: 'claim' });

    const listed = await cli(['idp', 'list']);
    expect(listed.stdout.split('\n')[1]).toMatch(/^corp\s+keycloak\s+http:\/\/127\.0\.0\.1:\d+\s+api:\/\/a,api:\/\/b$/);

    const tested = await cli(['idp', 'test', 'corp', '--json']);
    expect(JSON.parse(tested.stdout)).toMatchObject({ ok: true, keys: [{ kid: idp.kid, kty: 'RSA' }] });

    const renamed = await cli(['idp', 'update', 'corp', '--clock-skew', '120', '--json']);
    expect(JSON.parse(renamed.stdout).clockSkew).toBe(120);

    const bad = await cli(['idp', 'create', 'other', '--kind', 'okta', '--issuer', 'https://x.example', '--jwks-uri', 'https://x.example/k']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: At least one --audience is required\n');

    expect((await cli(['idp', 'delete', 'corp'])).stdout).toBe('Deleted identity provider corp\n');
    const gone = await cli(['idp', 'get', 'corp']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error: Identity provider not found\n');
  }, 60_000);

  it('adds, lists and removes external client IDs ("Add Keys") with idp keys add|list|remove', async () => {
    expect((await platform.admin.post(`/api/v1/orgs/${org}/identity-providers`, { name: 'corp-keys', kind: 'okta', wellKnownUrl: idp.wellKnownUrl, audiences: ['api://keys'] })).status).toBe(201);
    expect((await platform.admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'mobile', displayName: 'Mobile' })).status).toBe(201);

    expect((await cli(['idp', 'keys', 'list', 'mobile'])).stdout).toBe('(none)\n');
    const added = await cli(['idp', 'keys', 'add', 'mobile', '--env', 'development', '--idp', 'corp-keys', '--client-id', '0oa-mobile']);
    expect(added.stderr).toBe('');
    expect(added.stdout).toBe('Application mobile uses client ID 0oa-mobile of identity provider corp-keys in development\n');

    const listed = await cli(['idp', 'keys', 'list', 'mobile']);
    expect(listed.stdout).toBe('ENVIRONMENT  IDENTITYPROVIDER  CLIENTID\ndevelopment  corp-keys         0oa-mobile\n');
    expect(JSON.parse((await cli(['idp', 'keys', 'list', 'mobile', '--json'])).stdout)).toEqual([{ environment: 'development', identityProvider: 'corp-keys', clientId: '0oa-mobile' }]);

    const unknown = await cli(['idp', 'keys', 'add', 'mobile', '--env', 'development', '--idp', 'nope', '--client-id', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Error: Identity provider "nope" not found\n');
    const missing = await cli(['idp', 'keys', 'add', 'mobile', '--env', 'development', '--idp', 'corp-keys']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error: required option '--client-id <id>' not specified\n");

    expect((await cli(['idp', 'keys', 'remove', 'mobile', '--env', 'development'])).stdout).toBe('Removed the external keys of mobile in development\n');
    expect((await cli(['idp', 'keys', 'list', 'mobile'])).stdout).toBe('(none)\n');
    const again = await cli(['idp', 'keys', 'remove', 'mobile', '--env', 'development']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('Error: External keys not found\n');
  }, 60_000);
});
