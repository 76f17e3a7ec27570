import type { Kysely } from 'kysely';

// Credentials of gateway-only nodes (hybrid mode): each fetches its environment's
// snapshots from a control plane with its own token, stored as a SHA-256 hash and
// revocable. Installation-wide, like the snapshots they receive.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gateway_nodes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_nodes').execute();
}
