import { sql, type Kysely } from 'kysely';
import { systemClock, type Clock } from '../shared/clock.js';
import { openDatabase, type DatabaseOptions, type Db, type Dialect } from './db.js';
import { migrate } from './migrator.js';
import { ApiRepo } from './repos/apis.js';
import { AuditRepo } from './repos/audit.js';
import { IdentityProviderRepo } from './repos/identity-providers.js';
import { DeploymentRepo } from './repos/deployments.js';
import { SubscriptionRepo } from './repos/subscriptions.js';
import { GatewayNodeRepo } from './repos/gateway-nodes.js';
import { SettingsRepo } from './repos/settings.js';
import { OrganizationRepo } from './repos/organizations.js';
import { ProjectRepo } from './repos/projects.js';
import { UserRepo } from './repos/users.js';
import { ApplicationRepo } from './repos/applications.js';
import { CredentialRepo } from './repos/credentials.js';
import { RevocationRepo } from './repos/revocations.js';
import { SigningKeyRepo } from './repos/signing-keys.js';
import { ConnectionRepo, PortalAccessRepo } from './repos/connections.js';
import type { Database } from './schema.js';

export { isDatabaseUnavailable, isUniqueViolation } from './db.js';

/** Runs `fn` once the current transaction commits (at once outside one). */
export type AfterCommit = (fn: () => void) => void;

/**
 * The only door to the database. Repositories are grouped by feature; inside
 * `transaction` the same repositories run on one transaction. A repository
 * whose change in-process caches must hear about (credentials, identity
 * providers) announces it with `afterCommit`: other connections see the
 * change only once it committed, so a cache told earlier could read the old
 * row again; a rolled-back change announces nothing.
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
  readonly gatewayNodes: GatewayNodeRepo;
  readonly settings: SettingsRepo;

  /** `pendingCommit`: callbacks waiting for the commit of the transaction this store is bound to (none outside one). */
  constructor(readonly kysely: Kysely<Database>, readonly clock: Clock, readonly dialect: Dialect, private readonly pendingCommit?: Set<() => void>) {
    const afterCommit: AfterCommit = (fn) => this.afterCommit(fn);
    this.users = new UserRepo(kysely, clock);
    this.signingKeys = new SigningKeyRepo(kysely, clock);
    this.connections = new ConnectionRepo(kysely, clock);
    this.portalAccess = new PortalAccessRepo(kysely, clock);
    this.applications = new ApplicationRepo(kysely, clock, afterCommit);
    this.credentials = new CredentialRepo(kysely, clock, afterCommit);
    this.revocations = new RevocationRepo(kysely, clock);
    this.orgs = new OrganizationRepo(kysely, clock);
    this.projects = new ProjectRepo(kysely, clock, afterCommit);
    this.audit = new AuditRepo(kysely, clock);
    this.identityProviders = new IdentityProviderRepo(kysely, clock, afterCommit);
    this.apis = new ApiRepo(kysely, clock);
    this.deployments = new DeploymentRepo(kysely, clock);
    this.subscriptions = new SubscriptionRepo(kysely, clock);
    this.gatewayNodes = new GatewayNodeRepo(kysely, clock);
    this.settings = new SettingsRepo(kysely);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.kysely.isTransaction) return fn(this);
    const pending = new Set<() => void>();
    const result = await this.kysely.transaction().execute((trx) => fn(new Store(trx, this.clock, this.dialect, pending)));
    for (const hook of pending) hook();
    return result;
  }

  /** One round trip to the database (readiness checks); throws when it cannot be reached. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.kysely);
  }

  /** `fn` after the commit of this store's transaction; at once when it is not in one. Repeated callbacks run once. */
  afterCommit(fn: () => void): void {
    if (this.pendingCommit) this.pendingCommit.add(fn);
    else fn();
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
