import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './db.js';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');

/**
 * Every file in `migrations/` named `NNNN-name.ts` is one migration, applied in
 * name order. Each feature owns its own file; nothing central lists them.
 */
export class FolderProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}-[a-z0-9-]+\.(ts|js)$/.test(f)).sort();
    const out: Record<string, Migration> = {};
    for (const file of files) {
      out[file.replace(/\.(ts|js)$/, '')] = (await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href)) as Migration;
    }
    return out;
  }
}

/**
 * Applies pending migrations, all in one transaction on both backends;
 * idempotent, and safe when several nodes start at once (Kysely takes a lock).
 * Returns the names of the migrations it applied.
 */
export async function migrate(db: Db, provider: MigrationProvider = new FolderProvider()): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
