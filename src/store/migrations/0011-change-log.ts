import { PostgresAdapter, type Kysely } from 'kysely';

// What changed, written in the transaction that changed it: nodes read it after a
// NOTIFY (or at their poll, should a notification be lost) to learn exactly what to
// recompile. Rows older than an hour are pruned; `node` lets a writer skip its own.
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('change_log')
    .addColumn('seq', postgres ? 'serial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('change_log').execute();
}
