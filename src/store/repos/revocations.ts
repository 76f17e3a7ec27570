import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

export interface RevokedToken {
  jti: string;
  orgId: string;
  environment: string;
  expiresAt: string;
}

/** Revoked access tokens, kept until they would have expired anyway. */
export class RevocationRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  /** Records a revocation; revoking twice is not an error. Returns true when it was new. */
  async revoke(token: RevokedToken): Promise<boolean> {
    const r = await this.db
      .insertInto('revoked_tokens')
      .values({
        jti: token.jti,
        org_id: token.orgId,
        environment: token.environment,
        expires_at: token.expiresAt,
        created_at: isoNow(this.clock),
      })
      .onConflict((oc) => oc.column('jti').doNothing())
      .executeTakeFirst();
    const added = Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
    if (added) await this.changed({ kind: 'revocations' });
    return added;
  }

  async isRevoked(jti: string): Promise<boolean> {
    return !!(await this.db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst());
  }

  /** Revocations of tokens not yet expired, for one organization's environment (the gateway snapshot). */
  async active(orgId: string, environment: string): Promise<RevokedToken[]> {
    const rows = await this.db
      .selectFrom('revoked_tokens')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('environment', '=', environment)
      .where('expires_at', '>', isoNow(this.clock))
      .orderBy('expires_at')
      .execute();
    return rows.map((r) => ({ jti: r.jti, orgId: r.org_id, environment: r.environment, expiresAt: r.expires_at }));
  }

  /** Drops revocations of tokens that have expired: they are refused by their `exp` alone. */
  async purgeExpired(): Promise<void> {
    await this.db.deleteFrom('revoked_tokens').where('expires_at', '<=', isoNow(this.clock)).execute();
  }
}
