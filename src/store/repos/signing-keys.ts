import type { Kysely } from 'kysely';
import type { Clock } from '../../shared/clock.js';
import type { Database } from '../schema.js';
import type { RecordChange } from '../index.js';

/** A stored signing key; `privateJwk` is MasterKey ciphertext (context = kid), never decrypted here. */
export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  sealedPrivateJwk: string;
  createdAt: string;
  activatesAt: string;
  retiredAt: string | null;
  publishUntil: string | null;
}

const toRecord = (r: Database['signing_keys']): SigningKeyRecord => ({
  kid: r.kid,
  alg: r.alg,
  publicJwk: JSON.parse(r.public_jwk) as Record<string, unknown>,
  sealedPrivateJwk: r.private_jwk,
  createdAt: r.created_at,
  activatesAt: r.activates_at,
  retiredAt: r.retired_at,
  publishUntil: r.publish_until,
});

/** The token service's signing keys (installation-wide: one issuer for every organization). */
export class SigningKeyRepo {
  constructor(
    private readonly db: Kysely<Database>,
    _clock: Clock,
    private readonly changed: RecordChange,
  ) {}

  async insert(key: Omit<SigningKeyRecord, 'retiredAt' | 'publishUntil'>): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: JSON.stringify(key.publicJwk),
        private_jwk: key.sealedPrivateJwk,
        created_at: key.createdAt,
        activates_at: key.activatesAt,
        retired_at: null,
        publish_until: null,
      })
      .execute();
    await this.changed({ kind: 'signingKeys' });
  }

  /** Every key, oldest activation first. */
  async all(): Promise<SigningKeyRecord[]> {
    return (await this.db.selectFrom('signing_keys').selectAll().orderBy('activates_at').orderBy('created_at').orderBy('kid').execute()).map(toRecord);
  }

  /** Keys that still belong in the JWKS at `nowIso` (pending, signing, or retired with tokens still alive). */
  async published(nowIso: string): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('publish_until', 'is', null), eb('publish_until', '>', nowIso)]))
      .orderBy('activates_at')
      .orderBy('created_at')
      .orderBy('kid')
      .execute();
    return rows.map(toRecord);
  }

  /** Retires every key not yet retired, other than `exceptKid`. */
  async retireAll(exceptKid: string, retiredAt: string, publishUntil: string): Promise<number> {
    const r = await this.db.updateTable('signing_keys').set({ retired_at: retiredAt, publish_until: publishUntil }).where('retired_at', 'is', null).where('kid', '!=', exceptKid).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) await this.changed({ kind: 'signingKeys' });
    return Number(r.numUpdatedRows);
  }

  /** Removes keys whose publication ended before `beforeIso` (no live token can reference them). */
  async deleteUnpublished(beforeIso: string): Promise<void> {
    const r = await this.db.deleteFrom('signing_keys').where('publish_until', 'is not', null).where('publish_until', '<', beforeIso).executeTakeFirst();
    if (Number(r.numDeletedRows) > 0) await this.changed({ kind: 'signingKeys' });
  }
}
