import type { Kysely } from 'kysely';
import type { Clock } from '../../shared/clock.js';
import { newId, sha256 } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

export interface GatewayNodeTables {
  gateway_nodes: { id: string; name: string; environment: string; token_hash: string; created_at: string; last_seen_at: string | null; revoked_at: string | null };
}

/** A gateway-only node allowed to fetch one environment's snapshots (its token is never stored, only its hash). */
export interface GatewayNode {
  id: string;
  name: string;
  environment: string;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

const toNode = (r: Database['gateway_nodes']): GatewayNode => ({
  id: r.id,
  name: r.name,
  environment: r.environment,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  revokedAt: r.revoked_at,
});

export class GatewayNodeRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: { name: string; environment: string; token: string }): Promise<GatewayNode> {
    const row = {
      id: newId(),
      name: input.name,
      environment: input.environment,
      token_hash: sha256(input.token),
      created_at: new Date(this.clock.now()).toISOString(),
      last_seen_at: null,
      revoked_at: null,
    };
    await this.db.insertInto('gateway_nodes').values(row).execute();
    return toNode(row);
  }

  async list(): Promise<GatewayNode[]> {
    return (await this.db.selectFrom('gateway_nodes').selectAll().orderBy('created_at').orderBy('id').execute()).map(toNode);
  }

  /** The live (unrevoked) node holding `token`. */
  async byToken(token: string): Promise<GatewayNode | undefined> {
    const r = await this.db.selectFrom('gateway_nodes').selectAll().where('token_hash', '=', sha256(token)).where('revoked_at', 'is', null).executeTakeFirst();
    return r && toNode(r);
  }

  async touch(id: string): Promise<void> {
    await this.db
      .updateTable('gateway_nodes')
      .set({ last_seen_at: new Date(this.clock.now()).toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** Revokes a node's token; false when there is no such live node. */
  async revoke(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('gateway_nodes')
      .set({ revoked_at: new Date(this.clock.now()).toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
