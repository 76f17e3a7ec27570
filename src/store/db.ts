import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

/**
 * SQLite does roll DDL back with the transaction; Kysely's adapter just says it
 * does not. Saying it does makes the migrator apply pending migrations in one
 * transaction, so a crash or a failing migration never leaves a half-made schema.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class DrawbridgeSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export interface DatabaseOptions {
  /** Where errors of idle pooled connections (PostgreSQL only) are logged; they never throw. */
  logger?: Logger;
}

/**
 * Opens the database named by `url`: `sqlite:<file>` (`sqlite::memory:` for
 * a throwaway one) or `postgres://…`. SQLite runs in WAL mode with full
 * synchronous commits so a crash never leaves a half-written transaction.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): Db {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection the server ends (restart, failover, pg_terminate_backend) is
    // reported here; without a listener the pool's 'error' event would crash the process.
    // The pool drops that connection and opens a new one on the next query.
    pool.on('error', (error) => options.logger?.warn({ err: error.message }, 'database connection lost; the pool reconnects on the next query'));
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  const file = url.replace(/^sqlite:/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new DrawbridgeSqliteDialect({ database: sqlite }) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

/** Unique-constraint violations from either backend. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
