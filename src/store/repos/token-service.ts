/** Row types of the token service's tables (migration 0002-token-service). */
export interface TokenServiceTables {
  signing_keys: {
    kid: string;
    alg: string;
    public_jwk: string;
    private_jwk: string;
    created_at: string;
    activates_at: string;
    retired_at: string | null;
    publish_until: string | null;
  };
  applications: {
    id: string;
    org_id: string;
    component_id: string | null;
    name: string;
    description: string;
    owner_user_id: string | null;
    created_at: string;
    updated_at: string;
  };
  credentials: {
    id: string;
    org_id: string;
    application_id: string;
    environment_id: string;
    kind: string;
    client_id: string | null;
    secret_hash: string | null;
    previous_secret_hash: string | null;
    previous_secret_expires_at: string | null;
    grant_types: string;
    scopes: string;
    token_lifetime: number;
    idp_id: string | null;
    external_client_id: string | null;
    created_at: string;
    updated_at: string;
  };
  revoked_tokens: { jti: string; org_id: string; environment: string; expires_at: string; created_at: string };
}
