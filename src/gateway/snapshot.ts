/**
 * The gateway runtime snapshot: everything ONE environment's gateway listener
 * needs to serve every organization's APIs in that environment, as plain JSON.
 *
 * Producer: the control plane's compiler (gateway control plane). Consumer:
 * `src/gateway` (this module's owner). The gateway builds its indexes (router,
 * Maps, compiled policies) once when a snapshot is loaded, never per request,
 * and writes the last good snapshot to disk as-is.
 *
 * ## Routing contract
 * One listener per environment name serves all organizations. An API is served at
 *
 *     /<org-handle><contextPath>/<version><resource path>
 *
 * e.g. org `acme`, contextPath `/orders`, version `v1`, resource `GET /items/{id}`
 * → `GET /acme/orders/v1/items/42`. Use `apiBasePath(api)` to show the URL an
 * environment serves. The prefix `/_drawbridge/` is reserved for the gateway's
 * operations endpoints (org handles are slugs and never start with `_`).
 *
 * ## Secrets
 * A policy config value for a field its schema marks `secret: true` may be
 * given either in clear (in-memory snapshots only) or sealed as
 * `{ "$sealed": "<MasterKey.encrypt(value, SEALED_SECRET_CONTEXT)>" }`; the
 * gateway opens sealed values when the snapshot is loaded. The compiler should
 * always seal, so the file written to disk holds no secret in clear. It also
 * seals every string a secret deployment parameter was substituted into (any
 * policy config value, and `backendUrl`); the gateway opens sealed values
 * wherever they appear in a policy config and in `backendUrl`.
 */

export const SNAPSHOT_FORMAT = 1 as const;

/** Associated data used when sealing policy secrets for the snapshot. */
export const SEALED_SECRET_CONTEXT = 'drawbridge:gateway-snapshot';

/** A secret sealed with the master key (`SEALED_SECRET_CONTEXT`). */
export interface SealedValue {
  $sealed: string;
}

export interface GatewaySnapshot {
  format: typeof SNAPSHOT_FORMAT;
  /** Increases with every compile for this environment (informational: the gateway serves whatever it is given). */
  version: number;
  /** ISO timestamp of the compile. */
  generatedAt: string;
  /** Environment name, e.g. `development`. Must equal the listener's environment. */
  environment: string;
  /** Issuer of platform access tokens (`config.publicUrl`). */
  issuer: string;
  /** Public JWKs of the token service (each with `kid` and `alg`); private members are refused. */
  keys: SnapshotJwk[];
  apis: SnapshotApi[];
  /** Application id → ids of the APIs it is subscribed to (in this environment). */
  subscriptions: Record<string, string[]>;
  clients: {
    /** Built-in credentials of this environment: `client_id` → application id. */
    builtin: Record<string, string>;
    /** External credentials of this environment. */
    external: SnapshotExternalClient[];
  };
  /** Organizations' identity providers, for direct external tokens. */
  identityProviders: SnapshotIdentityProvider[];
  /** Revoked platform tokens; `exp` (epoch seconds) lets the compiler drop them once expired. */
  revokedTokens: { jti: string; exp: number }[];
}

export interface SnapshotJwk {
  kid: string;
  alg: string;
  kty: string;
  [member: string]: unknown;
}

export interface SnapshotApi {
  id: string;
  orgId: string;
  /** Organization handle: first path segment of every route of this API. */
  orgHandle: string;
  name: string;
  /** `/orders` or `/orders/eu`: starts with `/`, no trailing slash. */
  contextPath: string;
  /** One path segment, e.g. `v1`. */
  version: string;
  /** Absolute http(s) URL of this environment's backend; its path is a prefix of every forwarded path. Sealed when a secret parameter is part of it. */
  backendUrl: string | SealedValue;
  /** `urn:drawbridge:<orgId>:<environmentName>`: platform tokens must carry it in `aud`. */
  audience: string;
  /** null: no CORS handling (preflights are routed like any OPTIONS request). */
  cors: SnapshotCors | null;
  resources: SnapshotResource[];
  /** Optional per-API overrides of the listener's defaults. */
  limits?: { maxBodyBytes?: number; connectTimeoutMs?: number; headersTimeoutMs?: number; bodyTimeoutMs?: number };
}

export interface SnapshotCors {
  /** Exact origins (`https://app.example.com`) or `*`. */
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  /** Seconds a preflight may be cached by the browser. */
  maxAgeSeconds: number;
}

export { HTTP_METHODS, type HttpMethod } from '../shared/http-methods.js';
import type { HttpMethod } from '../shared/http-methods.js';

export interface SnapshotResource {
  method: HttpMethod;
  /** Path template relative to the API base: `/items/{id}`, or `/` for the base itself. */
  path: string;
  security: {
    /** false: anonymous access (no token checked, none forwarded). */
    oauth2: boolean;
    /** Every scope listed must be in the token. */
    scopes: string[];
  };
  /** Compiled policy instances in execution order ("apply to all resources" is expanded by the compiler). */
  policies: SnapshotPolicyInstance[];
}

export interface SnapshotPolicyInstance {
  /** Registered policy name, e.g. `set-headers`. */
  name: string;
  /** Exact version, e.g. `1.0.0`. */
  version: string;
  /** `request`: runs before proxying (and on a backend 401); `response`: runs on the backend's response. */
  phase: 'request' | 'response';
  /** Parameters resolved; validated by the policy's schema when compiled and again when loaded. */
  config: Record<string, unknown>;
}

export interface SnapshotExternalClient {
  idpId: string;
  /** The client id as the IdP puts it in the first present of its `clientIdClaims`. */
  externalClientId: string;
  appId: string;
}

export interface SnapshotIdentityProvider {
  id: string;
  orgId: string;
  name: string;
  /** The exact issuer, or the template when `issuerTemplate` is set. */
  issuer: string;
  /** Multi-tenant issuer with `{tenantid}` (Microsoft): tokens' `iss` matches it for a tenant in `allowedTenantIds`. */
  issuerTemplate?: string;
  /** Tenants accepted by `issuerTemplate`. */
  allowedTenantIds?: string[];
  jwksUri: string;
  /** The token's `aud` must contain one of these. */
  audiences: string[];
  /** First of `clientIdClaims` (kept for snapshots written before that list existed). */
  clientIdClaim: string;
  /** Claims carrying the client id, first present wins (`cid` for Okta, `azp` then `appid` for Entra, `client_id`, …). */
  clientIdClaims?: string[];
  /** Allowed clock skew for `exp`/`nbf`/`iat`. */
  clockSkewSeconds: number;
  /** Claim carrying the end user (default `sub`). Optional only for snapshots written before it was added. */
  subjectClaim?: string;
  /** Seconds: oldest `iat` and furthest `exp` accepted (default 86400). */
  maxTokenAge?: number;
  /** How the IdP marks access vs ID tokens (default `none`). */
  tokenTyping?: 'at+jwt' | 'claim' | 'none';
  /**
   * The IdP's last good public keys (public members only, as the key cache
   * saved them) and when they were fetched, so a gateway started from this
   * snapshot on disk verifies without reaching the IdP. Absent when no fetch
   * has succeeded yet.
   */
  jwks?: { keys: Record<string, unknown>[]; fetchedAt: string };
}

/** The audience platform tokens carry for an organization's environment. */
export const gatewayAudience = (orgId: string, environment: string): string => `urn:drawbridge:${orgId}:${environment}`;

/** The path prefix an API is served under on its environment's gateway listener. */
export const apiBasePath = (api: Pick<SnapshotApi, 'orgHandle' | 'contextPath' | 'version'>): string => `/${api.orgHandle}${api.contextPath}/${api.version}`;

/** An empty snapshot, e.g. for an environment with nothing deployed yet. */
export function emptySnapshot(environment: string, issuer: string, version = 0, generatedAt = new Date(0).toISOString()): GatewaySnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version,
    generatedAt,
    environment,
    issuer,
    keys: [],
    apis: [],
    subscriptions: {},
    clients: { builtin: {}, external: [] },
    identityProviders: [],
    revokedTokens: [],
  };
}
