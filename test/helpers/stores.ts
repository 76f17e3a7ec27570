/**
 * Every store backend a test should run against, each giving a FRESH, migrated
 * database that disappears on `close()`.
 *
 * - `sqlite` always: a new file in a temporary folder (WAL mode, as in production).
 * - `postgres` when `DRAWBRIDGE_TEST_POSTGRES_URL` is set (CI sets it; locally e.g.
 *   `DRAWBRIDGE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test`): a new
 *   database `dbtest_<random>` created through that URL (which needs the
 *   CREATEDB privilege) and dropped again on close, so test files can run in
 *   parallel and leave nothing behind.
 *
 * Usage, for a repository test that must hold on every backend:
 *
 * ```ts
 * import { storeBackends, type TestStore } from '../helpers/stores.js';
 *
 * describe.each(storeBackends())('widgets on $name', (backend) => {
 *   let t: TestStore;
 *   beforeAll(async () => { t = await backend.open({ clock }); });
 *   afterAll(() => t.close());
 *   it('…', async () => { await t.store.widgets.create(…); });
 * });
 * ```
 *
 * `backend.createDatabase()` gives only an empty database URL (no store, no
 * migrations), e.g. to start a whole platform on PostgreSQL with
 * `startTestPlatform({ env: { DRAWBRIDGE_DATABASE_URL: url } })`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { systemClock, type Clock } from '../../src/shared/clock.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { Db } from '../../src/store/db.js';

export type BackendName = 'sqlite' | 'postgres';

export interface TestDatabase {
  /** `sqlite:<file>` or `postgres://…/dbtest_<random>`. */
  url: string;
  /** Removes the database (file or PostgreSQL database). Idempotent. */
  drop(): Promise<void>;
}

export interface TestStore {
  store: Store;
  db: Db;
  url: string;
  backend: BackendName;
  /** Closes the store and drops the database. Idempotent. */
  close(): Promise<void>;
}

export interface StoreBackend {
  name: BackendName;
  /** A new, empty database of this backend. */
  createDatabase(): Promise<TestDatabase>;
  /** A new database with every migration applied, opened as a Store. */
  open(options?: { clock?: Clock }): Promise<TestStore>;
}

export const POSTGRES_URL_ENV = 'DRAWBRIDGE_TEST_POSTGRES_URL';

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-store-'));
  return {
    url: `sqlite:${join(dir, 'test.db')}`,
    drop: once(async () => rmSync(dir, { recursive: true, force: true })),
  };
}

/** Runs `fn` on a single connection to the admin URL (the one from the environment). */
async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `dbtest_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE ends connections a failed test may have left open.
    drop: once(async () => {
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }),
  };
}

function backend(name: BackendName, createDatabase: () => Promise<TestDatabase>): StoreBackend {
  return {
    name,
    createDatabase,
    async open(options = {}) {
      const database = await createDatabase();
      try {
        const opened = await openStore(database.url, options.clock ?? systemClock);
        return {
          store: opened.store,
          db: opened.db,
          url: database.url,
          backend: name,
          close: once(async () => {
            try {
              await opened.close();
            } finally {
              await database.drop();
            }
          }),
        };
      } catch (error) {
        await database.drop();
        throw error;
      }
    },
  };
}

/** SQLite always; PostgreSQL when `DRAWBRIDGE_TEST_POSTGRES_URL` is set. */
export function storeBackends(env: Record<string, string | undefined> = process.env): StoreBackend[] {
  const backends = [backend('sqlite', createSqliteDatabase)];
  const pgUrl = env[POSTGRES_URL_ENV];
  if (pgUrl) backends.push(backend('postgres', () => createPostgresDatabase(pgUrl)));
  return backends;
}
