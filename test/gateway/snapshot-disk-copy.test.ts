import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotFile } from '../../src/gateway/holder.js';
import type { SnapshotApi } from '../../src/gateway/snapshot.js';
import { ManualClock } from '../../src/shared/clock.js';
import { api, ENV, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer } from './helpers.js';

describe('the gateway disk copy', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dataDir = mkdtempSync(join(tmpdir(), 'drawbridge-gw-disk-'));
  let backend: Backend;
  let signer: Signer;

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
  });
  afterAll(async () => {
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is written even when an API entry is not an object (the gateway leaves that entry out and serves the rest), so a restart does not fall back to an older copy', async () => {
    const good = api(backend.url, { resources: [{ method: 'GET', path: '/hold', security: { oauth2: false, scopes: [] }, policies: [] }] });
    const served = snapshot([signer.jwk], [good, null as unknown as SnapshotApi, 'not an API' as unknown as SnapshotApi], { version: 12 });
    const gw = await startTestGateway(served, { clock, dataDir });
    try {
      expect((await fetch(`${gw.url}/${good.orgHandle}${good.contextPath}/${good.version}/hold`)).status).toBe(200);
    } finally {
      await gw.close();
    }
    const saved = JSON.parse(readFileSync(snapshotFile(dataDir, ENV), 'utf8'));
    expect(saved.version).toBe(12);
    expect(saved.apis).toEqual([good, null, 'not an API']);
  });
});
