import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from './fixture.js';
import { runCli, type CliRun } from '../helpers/cli.js';

describe('drawbridge keys and drawbridge token', () => {
  let p: TestPlatform;
  let dir: string;
  let configFile: string;
  let org: string;

  /** Runs the real executable (asynchronously: the platform under test lives in this process). */
  function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> {
    return runCli(args, { DRAWBRIDGE_CLI_CONFIG: configFile, ...extraEnv });
  }
  const json = (run: CliRun) => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    p = await startTestPlatform();
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-keys-cli-'));
    configFile = join(dir, 'cli.json');
    org = (await p.admin.post('/api/v1/orgs', { name: 'Cli Keys' })).body.handle;
    await p.admin.post(`/api/v1/orgs/${org}/projects/default/components`, { type: 'external-consumer', name: 'cli-app', displayName: 'CLI app' });
    writeFileSync(configFile, JSON.stringify({ url: p.url, token: p.admin.token, org }), { mode: 0o600 });
  });
  afterAll(async () => {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let clientId: string;
  let clientSecret: string;

  it('keys generate prints the client ID and the secret once', async () => {
    const out = json(await cli(['keys', 'generate', 'cli-app', '--env', 'development', '--scopes', 'read,write', '--token-lifetime', '600', '--json']));
    expect(out).toMatchObject({ environment: 'development', keysGenerated: true, scopes: ['read', 'write'], tokenLifetime: 600, grantTypes: ['client_credentials'] });
    expect(out.clientSecret).toMatch(/^dbs_/);
    clientId = out.clientId;
    clientSecret = out.clientSecret;
  });

  it('keys generate again fails with the API message and exit code 1', async () => {
    const run = await cli(['keys', 'generate', 'cli-app', '--env', 'development']);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'Error: Keys already exist for the development environment; regenerate the secret instead\n' });
  });

  it('keys show lists environments without secrets', async () => {
    const run = await cli(['keys', 'show', 'cli-app']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(clientId);
    expect(run.stdout).not.toContain('dbs_');
    expect(run.stdout.split('\n')[0]).toMatch(/^ENVIRONMENT\s+KIND\s+KEYSGENERATED\s+CLIENTID/);
  });

  it('drawbridge token prints a token that verifies against the JWKS', async () => {
    const run = await cli(['token', '--client-id', clientId, '--client-secret', clientSecret, '--scope', 'read', '--url', p.url]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const token = run.stdout.trim();
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(token, createLocalJWKSet((await p.api.get('/oauth2/jwks')).body));
    expect(payload).toMatchObject({ client_id: clientId, scope: 'read', env: 'development' });
  });

  it('drawbridge token reads the secret from DRAWBRIDGE_CLIENT_SECRET and supports client_secret_post', async () => {
    const out = json(await cli(['token', '--client-id', clientId, '--auth', 'client_secret_post', '--json'], { DRAWBRIDGE_CLIENT_SECRET: clientSecret, DRAWBRIDGE_URL: p.url }));
    expect(out).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'read write' });
  });

  it('keys regenerate with a grace period, after which both secrets work for now', async () => {
    const out = json(await cli(['keys', 'regenerate', 'cli-app', '--env', 'development', '--grace-period', '120', '--json']));
    expect(out.clientSecret).not.toBe(clientSecret);
    expect(out.previousSecretExpiresAt).not.toBeNull();
    expect((await cli(['token', '--client-id', clientId, '--client-secret', clientSecret, '--url', p.url])).code).toBe(0);
    expect((await cli(['token', '--client-id', clientId, '--client-secret', out.clientSecret, '--url', p.url])).code).toBe(0);
  });

  it('drawbridge token with a wrong secret reports the OAuth error', async () => {
    const run = await cli(['token', '--client-id', clientId, '--client-secret', 'dbs_wrong', '--url', p.url]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'Error: The token service refused: invalid_client: Client authentication failed\n' });
  });

  it('keys rotate schedules a new signing key', async () => {
    const run = await cli(['keys', 'rotate']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^New key \S+ \(ES256\) is published now and signs from \S+\.\nKey \S+ stops signing then and stays published until \S+\.\n$/);
    const list = json(await cli(['keys', 'signing', '--json']));
    expect(list.map((k: { state: string }) => k.state)).toEqual(['active', 'pending']);
  });
});
