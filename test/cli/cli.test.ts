import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { runCli, type CliRun } from '../helpers/cli.js';

let p: TestPlatform;
let dir: string;
let configFile: string;

/** Runs the real executable as a child process (asynchronously: the platform under test lives in this process). */
function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { DRAWBRIDGE_CLI_CONFIG: configFile });
}

const json = <T = any>(run: CliRun): T => {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as T;
};

beforeAll(async () => {
  p = await startTestPlatform();
  dir = mkdtempSync(join(tmpdir(), 'drawbridge-cli-'));
  configFile = join(dir, 'cli.json');
});
afterAll(async () => {
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('drawbridge CLI', () => {
  it('refuses a wrong password with the API message and exit code 1, saving nothing', async () => {
    const run = await cli('login', '--url', p.url, '-u', 'admin', '-p', 'not the password');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: Wrong username or password\n');
    expect(() => statSync(configFile)).toThrow();
  });

  it('logs in with -p and stores a personal API token in the profile (mode 0600)', async () => {
    const run = await cli('login', '--url', p.url, '-u', 'admin', '-p', ADMIN_PASSWORD);
    expect(run).toEqual({ code: 0, stdout: `Signed in to ${p.url} as admin\n`, stderr: '' });
    const profile = JSON.parse(readFileSync(configFile, 'utf8')) as { url: string; token: string };
    expect(profile.url).toBe(p.url);
    expect(profile.token).toMatch(/^dbp_/);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
  });

  it('creates and lists organizations', async () => {
    const created = json(await cli('org', 'create', 'Cli Works', '--json'));
    expect(created).toMatchObject({ name: 'Cli Works', handle: 'cli-works', role: 'admin' });
    const listed = json<{ handle: string }[]>(await cli('org', 'list', '--json'));
    expect(listed.map((o) => o.handle)).toEqual(['cli-works']);
    const table = await cli('org', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^HANDLE\s+NAME\s+ROLE\s+CREATEDAT$/);
    expect(table.stdout).toContain('cli-works  Cli Works  admin');
  });

  it('says which organization is missing when neither --org nor a profile default is set', async () => {
    const run = await cli('component', 'list');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('Error: No organization given: pass --org <handle> or run "drawbridge org use <handle>" once\n');
  });

  it('creates an external consumer and shows its overview, then lists it (--json)', async () => {
    const created = json(await cli('component', 'create', 'mobile-app', '--type', 'external-consumer', '--display-name', 'Mobile app', '--org', 'cli-works', '--json'));
    expect(created).toMatchObject({ project: 'default', type: 'external-consumer', name: 'mobile-app', displayName: 'Mobile app' });
    expect(created.environments.map((e: { name: string }) => e.name)).toEqual(['development', 'production']);
    const listed = json<{ name: string; type: string }[]>(await cli('component', 'list', '--org', 'cli-works', '--json'));
    expect(listed.map((c) => [c.name, c.type])).toEqual([['mobile-app', 'external-consumer']]);
  });

  it('uses the profile\'s organization after "org use", with readable output', async () => {
    expect((await cli('org', 'use', 'cli-works')).stdout).toBe('Using organization cli-works\n');
    const get = await cli('component', 'get', 'mobile-app');
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/^environments\s+development -> production$/m);
    const list = await cli('component', 'list', '--type', 'api-proxy');
    expect(list.stdout).toBe('(none)\n');
  });

  it("prints the API's message and exits 1 on a conflict", async () => {
    const run = await cli('component', 'create', 'mobile-app', '--type', 'api-proxy');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('Error: A component named "mobile-app" already exists in project "default"\n  name: is taken\n');
  });

  it('manages environments, projects and members', async () => {
    const env = json(await cli('env', 'add', 'staging', '--gateway-url', 'https://staging.example.com', '--position', '1', '--json'));
    expect(env).toMatchObject({ name: 'staging', position: 1, gatewayUrl: 'https://staging.example.com' });
    const envs = await cli('env', 'list');
    expect(
      envs.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['POSITION NAME', '0 development', '1 staging', '2 production']);

    json(await cli('project', 'create', 'payments', '--description', 'Money', '--json'));
    expect(json(await cli('project', 'get', 'payments', '--json'))).toMatchObject({ name: 'payments', description: 'Money' });
    expect(json<{ name: string }[]>(await cli('project', 'list', '--json')).map((x) => x.name)).toEqual(['default', 'payments']);
    expect((await cli('project', 'delete', 'payments')).stdout).toBe('Deleted project payments\n');
    const gone = await cli('project', 'get', 'payments');
    expect([gone.code, gone.stderr]).toEqual([1, 'Error: Project not found\n']);

    const added = json(await cli('member', 'add', 'cli-dev@example.com', '--role', 'developer', '--json'));
    expect(added).toMatchObject({ email: 'cli-dev@example.com', role: 'developer', temporaryPassword: expect.any(String) });
    expect(json<{ email: string }[]>(await cli('member', 'list', '--json')).map((m) => m.email)).toEqual(['admin', 'cli-dev@example.com']);
    expect((await cli('member', 'remove', 'cli-dev@example.com')).stdout).toBe('Removed cli-dev@example.com from cli-works\n');
    const last = await cli('member', 'remove', 'admin');
    expect([last.code, last.stderr]).toEqual([1, 'Error: An organization needs at least one admin: make another member admin first\n']);
  }, 120_000); // many sequential CLI processes: slow on a loaded machine

  it('deletes a component', async () => {
    expect((await cli('component', 'delete', 'mobile-app')).stdout).toBe('Deleted component mobile-app from project default\n');
    expect(json(await cli('component', 'list', '--json'))).toEqual([]);
  });
});
