import type { Kysely } from 'kysely';
import { systemClock, type Clock } from '../shared/clock.js';
import { openDatabase, type DatabaseOptions, type Db, type Dialect } from './db.js';
import { migrate } from './migrator.js';
import { ApiRepo } from './repos/apis.js';
import { AuditRepo } from './repos/audit.js';
import { IdentityProviderRepo } from './repos/identity-providers.js';
import { DeploymentRepo } from './repos/deployments.js';
import { SubscriptionRepo } from './repos/subscriptions.js';
import { OrganizationRepo } from './repos/organizations.js';
import { ProjectRepo } from './repos/projects.js';
import { UserRepo } from './repos/users.js';
import { ApplicationRepo } from './repos/applications.js';
import { CredentialRepo } from './repos/credentials.js';
import { RevocationRepo } from './repos/revocations.js';
import { SigningKeyRepo } from './repos/signing-keys.js';
import { ConnectionRepo, PortalAccessRepo } from './repos/connections.js';
import type { Database } from './schema.js';

export { isUniqueViolation } from './db.js';

/**
 * The only door to the database. Repositories are grouped by feature; inside
 * `transaction` the same repositories run on one transaction.
 */
export class Store {
  readonly users: UserRepo;
  readonly signingKeys: SigningKeyRepo;
  readonly connections: ConnectionRepo;
  readonly portalAccess: PortalAccessRepo;
  readonly applications: ApplicationRepo;
  readonly credentials: CredentialRepo;
  readonly revocations: RevocationRepo;
  readonly orgs: OrganizationRepo;
  readonly projects: ProjectRepo;
  readonly audit: AuditRepo;
  readonly identityProviders: IdentityProviderRepo;
  readonly apis: ApiRepo;
  readonly deployments: DeploymentRepo;
  readonly subscriptions: SubscriptionRepo;

  constructor(readonly kysely: Kysely<Database>, readonly clock: Clock, readonly dialect: Dialect) {
    this.users = new UserRepo(kysely, clock);
    this.signingKeys = new SigningKeyRepo(kysely, clock);
    this.connections = new ConnectionRepo(kysely, clock);
    this.portalAccess = new PortalAccessRepo(kysely, clock);
    this.applications = new ApplicationRepo(kysely, clock);
    this.credentials = new CredentialRepo(kysely, clock);
    this.revocations = new RevocationRepo(kysely, clock);
    this.orgs = new OrganizationRepo(kysely, clock);
    this.projects = new ProjectRepo(kysely, clock);
    this.audit = new AuditRepo(kysely, clock);
    this.identityProviders = new IdentityProviderRepo(kysely, clock);
    this.apis = new ApiRepo(kysely, clock);
    this.deployments = new DeploymentRepo(kysely, clock);
    this.subscriptions = new SubscriptionRepo(kysely, clock);
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
export async function openStore(databaseUrl: string, clock: Clock = systemClock, options: DatabaseOptions = {}): Promise<OpenStore> {
  const db = openDatabase(databaseUrl, options);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { store: new Store(db.kysely, clock, db.dialect), db, close: () => db.close() };
}
