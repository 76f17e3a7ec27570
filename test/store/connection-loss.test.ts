import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { openStore, type OpenStore } from '../../src/store/index.js';
import { POSTGRES_URL_ENV, storeBackends, type TestDatabase } from '../helpers/stores.js';

const postgres = storeBackends().filter((b) => b.name === 'postgres');

describe.skipIf(postgres.length === 0).each(postgres)('connection loss on $name', (backend) => {
  let database: TestDatabase;
  let opened: OpenStore;
  const lines: string[] = [];
  beforeAll(async () => {
    database = await backend.createDatabase();
    const logger = createLogger('warn', { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    opened = await openStore(database.url, new ManualClock(), { logger });
  });
  afterAll(async () => {
    await opened?.close();
    await database?.drop();
  });

  it('does not crash the process when the server ends idle pooled connections, and reconnects on the next query', async () => {
    // Several idle connections in the pool.
    await Promise.all(Array.from({ length: 3 }, () => sql`select pg_sleep(0.01)`.execute(opened.db.kysely)));
    const admin = new pg.Client({ connectionString: process.env[POSTGRES_URL_ENV] });
    await admin.connect();
    try {
      const ended = await admin.query<{ n: number }>('select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1', [new URL(database.url).pathname.slice(1)]);
      expect(ended.rows[0]!.n).toBe(3);
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await opened.store.orgs.create({ name: 'After the loss', handle: 'after-the-loss' });
    expect(await opened.store.orgs.handleTaken('after-the-loss')).toBe(true);
    expect(lines.some((l) => JSON.parse(l).msg === 'database connection lost; the pool reconnects on the next query')).toBe(true);
  });
});
