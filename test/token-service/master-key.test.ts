import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MasterKey } from '../../src/shared/crypto.js';
import { ConfigError } from '../../src/shared/errors.js';

/**
 * `existsSync` can be told to miss a file once, which is exactly what a node
 * sees when another node creates the key file between its check and its
 * exclusive create (`wx`).
 */
const missOnce = new Set<string>();
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return {
    ...actual,
    existsSync: (path: fs.PathLike) => (missOnce.delete(String(path)) ? false : actual.existsSync(path)),
  };
});

const dirs: string[] = [];
const newDir = () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'drawbridge-master-key-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => missOnce.clear());
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Same key: what one seals, the other opens. */
const expectSameKey = (a: MasterKey, b: MasterKey) => expect(b.decrypt(a.encrypt('probe', 'ctx'), 'ctx')).toBe('probe');

describe('MasterKey.load with a key file', () => {
  it('creates the file (mode 0600) on first use and reads the same key afterwards', () => {
    const file = join(newDir(), 'data', 'master.key');
    const created = MasterKey.load(undefined, file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expectSameKey(created, MasterKey.load(undefined, file));
    expect(created.source).toBe(file);
  });

  it("losing the race to create the file (EEXIST) reads the winner's key instead of crashing", () => {
    const file = join(newDir(), 'master.key');
    const winner = MasterKey.load(undefined, file);
    const written = fs.readFileSync(file, 'utf8');
    missOnce.add(file); // the loser checked before the winner created it
    const loser = MasterKey.load(undefined, file);
    expect(missOnce.has(file)).toBe(false); // the check really missed, so the exclusive create ran and failed
    expectSameKey(winner, loser);
    expect(fs.readFileSync(file, 'utf8')).toBe(written); // not overwritten
  });

  it('waits for a file the winner created but has not written yet', async () => {
    const file = join(newDir(), 'master.key');
    fs.writeFileSync(file, '', { mode: 0o600 }); // created, still empty
    const key = 'ab'.repeat(32);
    // Another process writes the key a little later (this thread is blocked while load waits).
    const writer = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(file)}, '${key}\\n'), 200)`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    await new Promise((resolve) => writer.on('spawn', resolve));
    missOnce.add(file);
    const loaded = MasterKey.load(undefined, file);
    await exited;
    expectSameKey(MasterKey.parse(key), loaded);
  });

  it('a key file with something else than a key is a ConfigError naming the file', () => {
    const file = join(newDir(), 'master.key');
    fs.writeFileSync(file, 'not a key\n');
    expect(() => MasterKey.load(undefined, file)).toThrow(ConfigError);
    expect(() => MasterKey.load(undefined, file)).toThrow(`${file}: must be 32 bytes (64 hex characters or 43/44 base64 characters)`);
  });

  it('DRAWBRIDGE_MASTER_KEY wins over the file and is named in errors', () => {
    const file = join(newDir(), 'master.key');
    const fromEnv = MasterKey.load('cd'.repeat(32), file);
    expect(fs.existsSync(file)).toBe(false);
    expect(fromEnv.source).toBe('DRAWBRIDGE_MASTER_KEY');
    expect(() => MasterKey.load('short', file)).toThrow('DRAWBRIDGE_MASTER_KEY: must be 32 bytes');
  });
});
