import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { newSigner, snapshot, startTestGateway, type Signer } from './helpers.js';

/** The operator's log while the snapshot source (the database, or the control plane) is away: one warning, a reminder every 5 minutes, one line when it is back. */
describe('gateway log during a snapshot-source outage', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let signer: Signer;
  beforeAll(async () => {
    signer = await newSigner(clock);
  });

  it('warns once when the source is away, not on every retry; reminds every 5 minutes with the count; says when it is back', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    let attempts = 0;
    let up = false;
    const attemptsReach = async (n: number) => {
      const end = Date.now() + 20_000;
      while (attempts < n) {
        if (Date.now() > end) throw new Error(`only ${attempts} attempts`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const gw = await startTestGateway(undefined, {
      clock,
      logger: createLogger('info', sink),
      reloadIntervalMs: 10,
      snapshotSource: {
        load: async () => {
          attempts++;
          if (!up) throw new Error('database unreachable');
          return snapshot([signer.jwk], [], { version: 5 });
        },
      },
    });
    try {
      await attemptsReach(8);
      const warnings = () => lines.filter((l) => l.msg === 'gateway snapshot source unavailable');
      expect(warnings().map((l) => [l.level, l.failedAttempts, (l.err as { message: string }).message])).toEqual([[40, 1, 'database unreachable']]);

      clock.advance(5 * 60_000);
      const before = attempts;
      await attemptsReach(before + 3);
      expect(warnings()).toHaveLength(2);
      expect(warnings()[1]!.failedAttempts).toBeGreaterThan(before - 1);

      up = true;
      const end = Date.now() + 20_000;
      while (!lines.some((l) => l.msg === 'gateway snapshot source reachable again')) {
        if (Date.now() > end) throw new Error('no recovery line');
        await new Promise((r) => setTimeout(r, 10));
      }
      const back = lines.find((l) => l.msg === 'gateway snapshot source reachable again')!;
      expect(back.level).toBe(30);
      // One attempt at a time: every attempt but the last failed.
      expect(back.failedAttempts).toBe(attempts - 1);
      expect(lines.filter((l) => l.msg === 'gateway snapshot source reachable again')).toHaveLength(1);
      expect(warnings()).toHaveLength(2);
    } finally {
      await gw.close();
    }
  });
});
