import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER_SETTING } from '../../src/platform.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { storeBackends, type TestDatabase } from '../helpers/stores.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');

describe.skipIf(postgres.length === 0).each(postgres)('one token issuer for the cluster ($name)', (backend) => {
  let database: TestDatabase;
  const started: TestPlatform[] = [];
  const start = async (publicUrl: string, changeIssuer = false) => {
    const p = await startTestPlatform({ env: { DRAWBRIDGE_DATABASE_URL: database.url, DRAWBRIDGE_PUBLIC_URL: publicUrl, DRAWBRIDGE_MASTER_KEY: 'ab'.repeat(32) }, changeIssuer });
    started.push(p);
    return p;
  };
  beforeAll(async () => {
    database = await backend.createDatabase();
  });
  afterAll(async () => {
    for (const p of started) await p.close();
    await database?.drop();
  });

  it('prevents a node with another public URL from issuing tokens the others refuse: its start fails naming what to set', async () => {
    const first = await start('https://api.example.com');
    expect(await first.store.settings.get(ISSUER_SETTING)).toBe('https://api.example.com');
    await expect(start('https://other.example.com')).rejects.toThrow(
      'DRAWBRIDGE_PUBLIC_URL: must be this installation\'s token issuer https://api.example.com, which every node shares (got https://other.example.com). Set DRAWBRIDGE_PUBLIC_URL=https://api.example.com on this node, or, to move the whole installation to the new URL, stop every node and start one with "drawbridge start --change-issuer" (tokens issued before stop working).',
    );
    const second = await start('https://api.example.com');
    expect((await second.api.get('/healthz')).status).toBe(200);
  });

  it('moves the installation to a new URL when a node starts with --change-issuer', async () => {
    const moved = await start('https://new.example.com', true);
    expect(await moved.store.settings.get(ISSUER_SETTING)).toBe('https://new.example.com');
    const discovery = await moved.api.get('/.well-known/oauth-authorization-server');
    expect(discovery.body.issuer).toBe('https://new.example.com');
  });
});
