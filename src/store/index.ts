import { sql, type Kysely } from 'kysely';
import { isoNow, systemClock, type Clock } from '../shared/clock.js';
import { CHANGE_CHANNEL, ChangeFeed, type Change } from './change-feed.js';
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
export type { Change, ChangeFeed } from './change-feed.js';

/** Records a change in the change log (inside the current transaction) and publishes it on the feed once committed. */
export type RecordChange = (change: Change) => Promise<void>;

/** What waits for the commit of one transaction. */
interface PendingCommit {
  hooks: Set<() => void>;
  changes: Change[];
}

/**
 * The only door to the database. Repositories are grouped by feature; inside
 * `transaction` the same repositories run on one transaction. A repository
 * whose change caches or gateways must hear about records it (`RecordChange`):
 * a row in the change log, written in the same transaction, and a message on
 * `changes` once that transaction committed (other connections see the change
 * only then, so a cache told earlier could read the old row again; a
 * rolled-back change announces nothing).
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

  /**
   * `changes`: the feed committed changes are published on (one per process, shared by its stores).
   * `pendingCommit`: what waits for the commit of the transaction this store is bound to (none outside one).
   */
  constructor(
    readonly kysely: Kysely<Database>,
    readonly clock: Clock,
    readonly dialect: Dialect,
    readonly changes: ChangeFeed,
    private readonly pendingCommit?: PendingCommit,
  ) {
    const changed: RecordChange = (change) => this.recordChange(change);
    this.users = new UserRepo(kysely, clock);
    this.signingKeys = new SigningKeyRepo(kysely, clock, changed);
    this.connections = new ConnectionRepo(kysely, clock);
    this.portalAccess = new PortalAccessRepo(kysely, clock);
    this.applications = new ApplicationRepo(kysely, clock, changed);
    this.credentials = new CredentialRepo(kysely, clock, changed);
    this.revocations = new RevocationRepo(kysely, clock, changed);
    this.orgs = new OrganizationRepo(kysely, clock, changed);
    this.projects = new ProjectRepo(kysely, clock, changed);
    this.audit = new AuditRepo(kysely, clock);
    this.identityProviders = new IdentityProviderRepo(kysely, clock, changed);
    this.apis = new ApiRepo(kysely, clock);
    this.deployments = new DeploymentRepo(kysely, clock, changed);
    this.subscriptions = new SubscriptionRepo(kysely, clock, changed);
    this.gatewayNodes = new GatewayNodeRepo(kysely, clock);
    this.settings = new SettingsRepo(kysely);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.kysely.isTransaction) return fn(this);
    const pending: PendingCommit = { hooks: new Set(), changes: [] };
    const result = await this.kysely.transaction().execute((trx) => fn(new Store(trx, this.clock, this.dialect, this.changes, pending)));
    this.changes.publish(pending.changes);
    for (const hook of pending.hooks) hook();
    return result;
  }

  /** One round trip to the database (readiness checks); throws when it cannot be reached. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.kysely);
  }

  /** `fn` after the commit of this store's transaction; at once when it is not in one. Repeated callbacks run once. */
  afterCommit(fn: () => void): void {
    if (this.pendingCommit) this.pendingCommit.hooks.add(fn);
    else fn();
  }

  /**
   * Logs `change` with this store's connection (so in its transaction) and, on PostgreSQL,
   * notifies the other nodes, which PostgreSQL delivers only at the commit. Published on
   * `changes` after the commit (at once outside a transaction).
   */
  private async recordChange(change: Change): Promise<void> {
    await this.kysely
      .insertInto('change_log')
      .values({ node: this.changes.node, at: isoNow(this.clock), changes: JSON.stringify([change]) })
      .execute();
    if (this.dialect === 'postgres') await sql`select pg_notify(${CHANGE_CHANNEL}, ${this.changes.node})`.execute(this.kysely);
    if (this.pendingCommit) this.pendingCommit.changes.push(change);
    else this.changes.publish([change]);
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
  return { store: new Store(db.kysely, clock, db.dialect, new ChangeFeed(options.logger)), db, close: () => db.close() };
}
