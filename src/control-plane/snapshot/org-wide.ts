import type { GatewaySnapshot, SnapshotExternalClient, SnapshotIdentityProvider } from '../../gateway/index.js';
import { KEY_CACHE_DEFAULTS, type IdpKeyCache } from '../../shared/idp-keys/cache.js';
import type { IdpVerificationConfig, PersistedKeys } from '../../shared/idp-keys/types.js';
import type { CompileOptions } from './environment.js';

/**
 * The organization-wide parts of an environment's snapshot (client-ID maps,
 * external IdPs with their last good keys, revocations), read for
 * `EnvironmentCompiler` (`environment.ts`).
 */

/** The parts read per organization: client maps, IdPs and revocations. */
export interface OrgWideParts {
  builtin: Record<string, string>;
  external: SnapshotExternalClient[];
  identityProviders: SnapshotIdentityProvider[];
  revokedTokens: GatewaySnapshot['revokedTokens'];
  idpConfigs: Map<string, IdpVerificationConfig>;
}

/** Keys per IdP carried in the snapshot (a JWKS rarely has more than a handful). */
const MAX_SNAPSHOT_IDP_KEYS = 20;

/** The IdP's last good keys for the snapshot entry, so a disk snapshot verifies without the IdP. */
const snapshotJwks = (saved: PersistedKeys | undefined): Pick<SnapshotIdentityProvider, 'jwks'> =>
  saved && saved.jwks.keys.length > 0 ? { jwks: { keys: saved.jwks.keys.slice(0, MAX_SNAPSHOT_IDP_KEYS), fetchedAt: new Date(saved.fetchedAt).toISOString() } } : {};

/** Keys read from a key cache, per IdP, as of the cache entry's `fetchedAt` (re-read only after the cache fetched or loaded keys). */
const cacheReads = new WeakMap<IdpKeyCache, Map<string, { jwksUri: string; fetchedAt: number; keys: PersistedKeys }>>();

/**
 * The IdP's last good keys as the key cache holds them (no database read).
 * Keys older than the 24 h staleness bound are left out (the cache would
 * refetch them before using them, and refuse them if that fails).
 */
async function cachedKeys(cache: IdpKeyCache, idp: { id: string; name: string; jwksUri: string }, now: number): Promise<PersistedKeys | undefined> {
  let reads = cacheReads.get(cache);
  if (!reads) cacheReads.set(cache, (reads = new Map()));
  const status = cache.status(idp.id);
  if (status?.fetchedAt === undefined || status.jwksUri !== idp.jwksUri) {
    reads.delete(idp.id);
    return undefined;
  }
  if (now - status.fetchedAt > KEY_CACHE_DEFAULTS.maxStaleMs) return undefined;
  const read = reads.get(idp.id);
  if (read && read.fetchedAt === status.fetchedAt && read.jwksUri === status.jwksUri) return read.keys;
  const found = await cache.keysFor(idp, undefined);
  if (!found.ok) return undefined;
  const keys: PersistedKeys = { jwks: { keys: found.keys.map((k) => k.jwk) }, fetchedAt: status.fetchedAt };
  reads.set(idp.id, { jwksUri: status.jwksUri, fetchedAt: status.fetchedAt, keys });
  return keys;
}

/**
 * The digest counts an IdP's key fetch time only in steps of this size: the
 * key cache refetches every 10 minutes and saves an unchanged key set again
 * every hour, and neither should move the snapshot. The disk copy's
 * `fetchedAt` (which bounds the 24 h staleness rule for a gateway started
 * from it) thus lags the last fetch by at most this much.
 */
const KEYS_FETCHED_STEP_MS = 6 * 60 * 60_000;

/** The IdP entries as the digest sees them: `jwks.fetchedAt` coarsened to `KEYS_FETCHED_STEP_MS`. */
export const digestedIdps = (idps: SnapshotIdentityProvider[]): unknown[] =>
  idps.map(({ jwks, ...settings }) => (jwks ? { ...settings, jwks: { keys: jwks.keys, fetchedStep: Math.floor(Date.parse(jwks.fetchedAt) / KEYS_FETCHED_STEP_MS) } } : settings));

export async function compileOrgWide(options: CompileOptions, environment: string): Promise<OrgWideParts> {
  const { store, clock } = options;
  const out: OrgWideParts = { builtin: {}, external: [], identityProviders: [], revokedTokens: [], idpConfigs: new Map() };
  const idpKeys = options.idpKeys ? undefined : await store.identityProviders.allKeys();
  for (const org of await store.orgs.all()) {
    const env = await store.orgs.environment(org.id, environment);
    if (!env) continue;
    for (const c of await store.credentials.forOrgEnvironment(org.id, env.id)) {
      if (c.kind === 'builtin' && c.clientId) out.builtin[c.clientId] = c.applicationId;
      if (c.kind === 'external' && c.idpId && c.externalClientId) out.external.push({ idpId: c.idpId, externalClientId: c.externalClientId, appId: c.applicationId });
    }
    for (const idp of await store.identityProviders.list(org.id)) {
      const issuer = idp.issuer ?? idp.issuerTemplate;
      if (!issuer) continue;
      out.idpConfigs.set(idp.id, idp);
      out.identityProviders.push({
        id: idp.id,
        orgId: org.id,
        name: idp.name,
        issuer,
        jwksUri: idp.jwksUri,
        audiences: idp.audiences,
        clientIdClaim: idp.clientIdClaims[0] ?? 'client_id',
        clientIdClaims: idp.clientIdClaims.length > 0 ? idp.clientIdClaims : ['client_id'],
        clockSkewSeconds: idp.clockSkew,
        subjectClaim: idp.subjectClaim,
        maxTokenAge: idp.maxTokenAge,
        tokenTyping: idp.tokenTyping,
        ...(idp.issuerTemplate !== null && { issuerTemplate: idp.issuerTemplate, allowedTenantIds: idp.allowedTenantIds }),
        ...snapshotJwks(options.idpKeys ? await cachedKeys(options.idpKeys, { id: idp.id, name: idp.name, jwksUri: idp.jwksUri }, clock.now()) : idpKeys!.get(idp.id)),
      });
    }
    for (const r of await store.revocations.active(org.id, environment)) {
      out.revokedTokens.push({ jti: r.jti, exp: Math.ceil(Date.parse(r.expiresAt) / 1000) });
    }
  }
  return out;
}
