import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrator.js';

const ROOT = join(import.meta.dirname, '../..');
const WRITER = join(ROOT, 'test/fixtures/crash-writer.ts');
const ROUNDS = 4;

const migrationNames = (): string[] =>
  readdirSync(join(ROOT, 'src/store/migrations'))
    .filter((f) => /^\d{4}-[a-z0-9-]+\.(ts|js)$/.test(f))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .sort();

/**
 * Starts the writer, lets it commit at least `commits` transactions, waits
 * `extraMs` more so the kill lands at an arbitrary point of a later one, then
 * SIGKILLs it. Returns the sequence numbers it reported as committed.
 */
function runAndKill(file: string, round: string, commits: number, extraMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, round], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const committed: number[] = [];
    let stderr = '';
    let buffered = '';
    let killing = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`writer did not reach ${commits} commits in time; stderr: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^committed (\d+)$/.exec(line);
        if (m) committed.push(Number(m[1]));
      }
      if (!killing && committed.length >= commits) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && killing) resolve(committed);
      else reject(new Error(`writer ended on its own (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
}

interface Batch {
  orgId: string;
  handle: string;
  environments: number;
  audits: { round: string; seq: number; environments: number }[];
}

/** Reads every org the writer made, with its environment count and audit rows, straight from the file. */
function readBatches(file: string): Batch[] {
  const db = new SQLite(file, { readonly: true });
  try {
    const orgs = db.prepare(`select id, handle from organizations where name like 'Crash %'`).all() as { id: string; handle: string }[];
    return orgs.map((o) => ({
      orgId: o.id,
      handle: o.handle,
      environments: (db.prepare('select count(*) as n from environments where org_id = ?').get(o.id) as { n: number }).n,
      audits: (db.prepare(`select details from audit_events where org_id = ? and action = 'crash.batch'`).all(o.id) as { details: string }[]).map(
        (r) => JSON.parse(r.details) as Batch['audits'][number],
      ),
    }));
  } finally {
    db.close();
  }
}

describe('a SQLite database after kill -9 in the middle of writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-crash-'));
  const file = join(dir, 'crash.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`stays consistent over ${ROUNDS} crashes: integrity ok, migrations intact, every transaction all or nothing`, async () => {
    let everCommitted = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const committed = await runAndKill(file, `r${round}`, 5 + round * 7, Math.floor(Math.random() * 40));
      everCommitted += committed.length;

      // Reopening recovers the WAL; the file is sound and its foreign keys hold.
      const raw = new SQLite(file);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();

      // Migrations are recorded once each, and starting again applies nothing.
      const db = openDatabase(`sqlite:${file}`);
      try {
        expect(await migrate(db)).toEqual([]);
        const applied = (await (db.kysely as Kysely<any>).selectFrom('kysely_migration').select('name').orderBy('name').execute()).map((r) => r.name as string);
        expect(applied).toEqual(migrationNames());
      } finally {
        await db.close();
      }

      const batches = readBatches(file);
      for (const b of batches) {
        // Every organization present has its own audit row, and exactly the environments that row announces.
        expect(b.audits, b.handle).toHaveLength(1);
        expect(b.environments, b.handle).toBe(b.audits[0]!.environments);
        expect(b.handle).toBe(`${b.audits[0]!.round}-${b.audits[0]!.seq}`);
      }
      const auditsWithoutOrg = new SQLite(file, { readonly: true }).prepare(
        `select count(*) as n from audit_events a where action = 'crash.batch' and not exists (select 1 from organizations o where o.id = a.org_id)`,
      );
      expect((auditsWithoutOrg.get() as { n: number }).n).toBe(0);
      auditsWithoutOrg.database.close();

      // Everything reported as committed survived the crash; at most the one in flight is missing.
      const present = new Set(batches.filter((b) => b.handle.startsWith(`r${round}-`)).map((b) => b.audits[0]!.seq));
      for (const seq of committed) expect(present.has(seq), `r${round}-${seq}`).toBe(true);
      expect(present.size).toBeGreaterThanOrEqual(committed.length);
      expect(present.size).toBeLessThanOrEqual(committed.length + 1);
    }
    expect(everCommitted).toBeGreaterThanOrEqual(ROUNDS * 5);
  }, 120_000);
});
