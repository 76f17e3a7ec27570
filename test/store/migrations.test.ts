import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { openStore } from '../../src/store/index.js';
import { FolderProvider, migrate } from '../../src/store/migrator.js';
import { storeBackends, type TestStore } from '../helpers/stores.js';

const MIGRATIONS_DIR = join(import.meta.dirname, '../../src/store/migrations');
const migrationNames = (): string[] =>
  readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}-[a-z0-9-]+\.(ts|js)$/.test(f))
    .map((f) => f.replace(/\.(ts|js)$/, ''))
    .sort();

async function appliedMigrations(kysely: Kysely<any>): Promise<string[]> {
  const rows = await kysely.selectFrom('kysely_migration').select('name').orderBy('name').execute();
  return rows.map((r) => r.name as string);
}

/** Tables other than Kysely's own bookkeeping. */
async function appTables(kysely: Kysely<any>, backend: string): Promise<string[]> {
  const names =
    backend === 'sqlite'
      ? (await kysely.selectFrom('sqlite_master').select('name').where('type', '=', 'table').where('name', 'not like', 'sqlite_%').execute()).map((r) => r.name as string)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(kysely)).rows.map((r) => r.name);
  return names.filter((n) => !n.startsWith('kysely_')).sort();
}

async function tableExists(t: TestStore, table: string): Promise<boolean> {
  const k = t.db.kysely as Kysely<any>;
  if (t.backend === 'sqlite') {
    const r = await k.selectFrom('sqlite_master').select('name').where('type', '=', 'table').where('name', '=', table).executeTakeFirst();
    return !!r;
  }
  const r = await sql<{ n: string | null }>`select to_regclass(${table}) as n`.execute(k);
  return r.rows[0]?.n != null;
}

/** The real migrations plus one that creates a table and then fails. */
class FailingLastProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      ...(await new FolderProvider().getMigrations()),
      '9999-fails-halfway': {
        async up(db: Kysely<any>) {
          await db.schema
            .createTable('half_made')
            .addColumn('id', 'text', (c) => c.primaryKey())
            .execute();
          await db.insertInto('half_made').values({ id: 'x' }).execute();
          throw new Error('migration failed on purpose');
        },
      },
    };
  }
}

describe.each(storeBackends())('migrations on $name', (backend) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(() => t?.close());

  it('records every migration file in kysely_migration, in order', async () => {
    const names = migrationNames();
    expect(names[0]).toBe('0001-core');
    expect(await appliedMigrations(t.db.kysely)).toEqual(names);
  });

  it('applies nothing on a second run', async () => {
    expect(await migrate(t.db)).toEqual([]);
    expect(await appliedMigrations(t.db.kysely)).toEqual(migrationNames());
  });

  it('applies nothing when the database is opened again, and keeps its data', async () => {
    await t.store.users.create({ email: 'kept@example.com', name: 'Kept', passwordHash: 'x' });
    const again = await openStore(t.url);
    try {
      expect(await migrate(again.db)).toEqual([]);
      expect((await again.store.users.byEmail('kept@example.com'))?.name).toBe('Kept');
    } finally {
      await again.close();
    }
  });

  it('creates every core table', async () => {
    for (const table of ['users', 'sessions', 'api_tokens', 'organizations', 'memberships', 'environments', 'projects', 'components', 'audit_events', 'settings']) {
      expect(await tableExists(t, table), table).toBe(true);
    }
  });

  it('undoes every migration with its down() and applies them all again', async () => {
    const database = await backend.createDatabase();
    const db = openDatabase(database.url);
    try {
      await migrate(db);
      const migrator = new Migrator({ db: db.kysely, provider: new FolderProvider() });
      const down = await migrator.migrateTo(NO_MIGRATIONS);
      expect(down.error).toBeUndefined();
      expect(await appliedMigrations(db.kysely)).toEqual([]);
      expect(await appTables(db.kysely, backend.name)).toEqual([]);
      expect(await migrate(db)).toEqual(migrationNames());
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const db = openDatabase(t.url);
    try {
      await expect(migrate(db, new FailingLastProvider())).rejects.toThrow('migration failed on purpose');
      expect(await tableExists(t, 'half_made')).toBe(false);
      expect(await appliedMigrations(t.db.kysely)).toEqual(migrationNames());
    } finally {
      await db.close();
    }
  });
});

describe.each(storeBackends())('a fresh database on $name', (backend) => {
  it('is migrated by one of several nodes starting at once, each migration applied once', async () => {
    const database = await backend.createDatabase();
    // SQLite is single-node: two nodes on one file is not a supported setup, so only the lock path of PostgreSQL is raced.
    const nodes = backend.name === 'postgres' ? 3 : 1;
    const dbs = Array.from({ length: nodes }, () => openDatabase(database.url));
    try {
      const applied = await Promise.all(dbs.map((db) => migrate(db)));
      expect(applied.flat().sort()).toEqual(migrationNames());
      expect(await appliedMigrations(dbs[0]!.kysely)).toEqual(migrationNames());
    } finally {
      for (const db of dbs) await db.close();
      await database.drop();
    }
  });

  if (backend.name === 'sqlite')
    it('runs SQLite in WAL mode with foreign keys enforced', async () => {
      const t = await backend.open();
      try {
        const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(t.db.kysely);
        expect(mode.rows[0]?.journal_mode).toBe('wal');
        const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(t.db.kysely);
        expect(fk.rows[0]?.foreign_keys).toBe(1);
      } finally {
        await t.close();
      }
    });
});
