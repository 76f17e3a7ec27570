import type { ChangeLogTables } from './change-feed.js';
import type { ApiTables } from './repos/apis.js';
import type { ConnectionTables } from './repos/connections.js';
import type { DeploymentTables } from './repos/deployments.js';
import type { GatewayNodeTables } from './repos/gateway-nodes.js';
import type { IdentityProviderTables } from './repos/identity-providers.js';
import type { SubscriptionTables } from './repos/subscriptions.js';
import type { TokenServiceTables } from './repos/token-service.js';
/**
 * Row types of every table. Each feature declares its tables in its own
 * interface (next to its migration's purpose) and adds it to `Database`.
 */
export interface CoreTables {
  users: { id: string; email: string; name: string; password_hash: string; created_at: string };
  sessions: { id_hash: string; user_id: string; created_at: string; expires_at: string };
  api_tokens: { id: string; user_id: string; name: string; token_hash: string; created_at: string; last_used_at: string | null; revoked_at: string | null };
  organizations: { id: string; name: string; handle: string; created_at: string };
  memberships: { org_id: string; user_id: string; role: string; created_at: string };
  environments: { id: string; org_id: string; name: string; display_name: string; position: number; gateway_url: string; created_at: string };
  projects: { id: string; org_id: string; name: string; display_name: string; description: string; is_default: number; created_at: string; updated_at: string };
  components: { id: string; org_id: string; project_id: string; type: string; name: string; display_name: string; description: string; created_at: string; updated_at: string };
  audit_events: { id: string; org_id: string | null; actor_id: string | null; actor: string; action: string; target_type: string; target_id: string | null; details: string; created_at: string };
  settings: { key: string; value: string };
}

export interface Database extends CoreTables, ApiTables, DeploymentTables, SubscriptionTables, TokenServiceTables, IdentityProviderTables, ConnectionTables, GatewayNodeTables, ChangeLogTables {}
