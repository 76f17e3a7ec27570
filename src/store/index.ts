import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../shared/clock.js';
import { openDatabase, type Db, type Dialect } from './db.js';
import { migrate } from './migrator.js';
import { AuditRepo } from './repos/audit.js';
import { OrganizationRepo } from './repos/organizations.js';
import { ProjectRepo } from './repos/projects.js';
import { UserRepo } from './repos/users.js';
import type { Database } from './schema.js';

export { isUniqueViolation } from './db.js';

/**
 * The only door to the database. Repositories are grouped by feature; inside
 * `transaction` the same repositories run on one transaction.
 */
export class Store {
  readonly users: UserRepo;
  readonly orgs: OrganizationRepo;
  readonly projects: ProjectRepo;
  readonly audit: AuditRepo;

  constructor(readonly kysely: Kysely<Database>, readonly clock: Clock, readonly dialect: Dialect) {
    this.users = new UserRepo(kysely, clock);
    this.orgs = new OrganizationRepo(kysely, clock);
    this.projects = new ProjectRepo(kysely, clock);
    this.audit = new AuditRepo(kysely, clock);
  }

  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.kysely.isTransaction) return fn(this);
    return this.kysely.transaction().execute((trx) => fn(new Store(trx, this.clock, this.dialect)));
  }
}

export interface OpenStore {
  store: Store;
  db: Db;
  close(): Promise<void>;
}

/** Opens the database, applies pending migrations and returns the store. */
export async function openStore(databaseUrl: string, clock: Clock = systemClock): Promise<OpenStore> {
  const db = openDatabase(databaseUrl);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { store: new Store(db.kysely, clock, db.dialect), db, close: () => db.close() };
}
