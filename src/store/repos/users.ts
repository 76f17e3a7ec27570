import type { Kysely } from 'kysely';
import { isoNow, type Clock } from '../../shared/clock.js';
import { newId, sha256 } from '../../shared/crypto.js';
import type { Database } from '../schema.js';

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}
export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const toUser = (r: Database['users']): User => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at });

/** Users, console sessions and personal API tokens. Secrets arrive here already random and leave only as SHA-256. */
export class UserRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: { email: string; name: string; passwordHash: string }): Promise<User> {
    const row = { id: newId(), email: input.email.toLowerCase(), name: input.name, password_hash: input.passwordHash, created_at: isoNow(this.clock) };
    await this.db.insertInto('users').values(row).execute();
    return toUser(row);
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async byId(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  async byEmail(email: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return r && toUser(r);
  }

  /** The stored password hash, for login only. */
  async credentialsByEmail(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const r = await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return r && { user: toUser(r), passwordHash: r.password_hash };
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
  }

  async createSession(userId: string, token: string, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    await this.db
      .insertInto('sessions')
      .values({
        id_hash: sha256(token),
        user_id: userId,
        created_at: new Date(now).toISOString(),
        expires_at: new Date(now + ttlMs).toISOString(),
      })
      .execute();
  }

  async userBySession(token: string): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .where('sessions.id_hash', '=', sha256(token))
      .where('sessions.expires_at', '>', isoNow(this.clock))
      .executeTakeFirst();
    return r && toUser(r);
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
  }

  async createApiToken(userId: string, name: string, token: string): Promise<ApiToken> {
    const row = { id: newId(), user_id: userId, name, token_hash: sha256(token), created_at: isoNow(this.clock), last_used_at: null, revoked_at: null };
    await this.db.insertInto('api_tokens').values(row).execute();
    return { id: row.id, name, createdAt: row.created_at, lastUsedAt: null, revokedAt: null };
  }

  async listApiTokens(userId: string): Promise<ApiToken[]> {
    const rows = await this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
  }

  async revokeApiToken(userId: string, id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: isoNow(this.clock) })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async userByApiToken(token: string): Promise<User | undefined> {
    const r = await this.db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('users')
      .select('api_tokens.id as token_id')
      .where('api_tokens.token_hash', '=', sha256(token))
      .where('api_tokens.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!r) return undefined;
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: isoNow(this.clock) })
      .where('id', '=', r.token_id)
      .execute();
    return toUser(r);
  }
}
