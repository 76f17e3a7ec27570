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
  /** Where errors of pooled connections (PostgreSQL only) are logged; they never throw. */
  logger?: Logger;
}

/**
 * PostgreSQL pool limits. A database that is down or silent must fail a request
 * within seconds (503), never hang it: a connection attempt gives up after
 * `connectionTimeoutMillis`, a statement after `statement_timeout` on the server and
 * `query_timeout` on the client (a black-holed server never answers at all).
 * Query parameters of DRAWBRIDGE_DATABASE_URL with the same names override these
 * (e.g. `?statement_timeout=30000`; `connect_timeout` is in seconds).
 */
const POSTGRES_POOL_DEFAULTS = {
  max: 10,
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  statement_timeout: 10_000,
  query_timeout: 12_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
} as const;

function postgresPool(url: string, logger: Logger | undefined): pg.Pool {
  const parsed = new URL(url);
  const overrides: Record<string, number> = {};
  for (const key of ['connectionTimeoutMillis', 'idleTimeoutMillis', 'query_timeout', 'max'] as const) {
    const value = parsed.searchParams.get(key);
    if (value !== null && /^\d+$/.test(value)) overrides[key] = Number(value);
  }
  const pool = new pg.Pool({ ...POSTGRES_POOL_DEFAULTS, ...overrides, connectionString: url });
  const lost = (error: Error) => logger?.warn({ err: error.message }, 'database connection lost; the pool reconnects on the next query');
  // An idle connection the server ends (restart, failover, pg_terminate_backend) is
  // reported on the pool; one that dies while checked out, on its client. Without a
  // listener either 'error' event would crash the process. The pool drops that
  // connection and opens a new one on the next query.
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  return pool;
}

/**
 * The database is down, unreachable, silent or shutting down (as opposed to a
 * query that is wrong): the request may succeed later, so the API answers 503.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  const code = e.code ?? '';
  // Class 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now; 53300: too many connections.
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  const message = e.message ?? '';
  return (
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection terminated due to connection timeout|canceling statement due to statement timeout/i.test(
      message,
    ) ||
    (code === '57014' && /statement timeout/i.test(message))
  );
}

/**
 * Opens the database named by `url`: `sqlite:<file>` (`sqlite::memory:` for
 * a throwaway one) or `postgres://…`. SQLite runs in WAL mode with full
 * synchronous commits so a crash never leaves a half-written transaction.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): Db {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = postgresPool(url, options.logger);
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
