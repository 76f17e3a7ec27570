import type { Kysely } from 'kysely';

// Optional per-API gateway limits (`maxBodyBytes`, connect/headers/body
// timeouts) as JSON text; null means the gateway listener's defaults.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apis').addColumn('limits', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('apis').dropColumn('limits').execute();
}
