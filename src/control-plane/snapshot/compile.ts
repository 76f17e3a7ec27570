import { findPolicy, secretPaths } from '../../gateway/policies/index.js';
import {
  gatewayAudience, SEALED_SECRET_CONTEXT, SNAPSHOT_FORMAT, type GatewaySnapshot, type SnapshotApi, type SnapshotExternalClient,
  type SnapshotIdentityProvider, type SnapshotJwk, type SnapshotPolicyInstance, type SnapshotResource,
} from '../../gateway/snapshot.js';
import { isoNow, type Clock } from '../../shared/clock.js';
import type { IdpVerificationConfig, PersistedKeys } from '../../shared/idp-keys/types.js';
import { sha256, type MasterKey } from '../../shared/crypto.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/index.js';
import { canonicalJson, resourceKey } from '../../store/repos/apis.js';
import type { ActiveDeployment } from '../../store/repos/deployments.js';
import { openParams, plainValues } from './params.js';
import { resolveDeployment, type ResolvedPolicy } from './resolve.js';

/**
 * Compiles one environment's runtime snapshot from the store: every
 * organization's active deployments in environments of that name (parameters
 * resolved, secrets decrypted here only and sealed again for the gateway),
 * subscriptions, client-ID maps, the token service's public keys, external
 * IdPs and revoked token IDs. Runs on changes and polls, never per request.
 */

export interface CompileOptions {
  store: Store;
  masterKey: MasterKey;
  /** Issuer of platform tokens (`config.publicUrl`). */
  issuer: string;
  environment: string;
  clock: Clock;
  logger: Logger;
}

export interface CompiledRuntime {
  /** `version` is 0 here: the publisher numbers snapshots. */
  snapshot: GatewaySnapshot;
  /** Hash of the content before secrets are sealed (sealing is randomized): equal digests, equal behavior. */
  digest: string;
  /** Deployments left out because they no longer compile (the publisher logs them; the rest of the environment still serves). */
  skipped: { apiId: string; orgId: string; reason: string }[];
  /** Full settings of every IdP in the snapshot, for the in-process external-token verifier. */
  idpConfigs: Map<string, IdpVerificationConfig>;
}

function compileApi(d: ActiveDeployment, masterKey: MasterKey): SnapshotApi {
  const values = plainValues(openParams(masterKey, d.apiId, d.environmentId, d.params));
  const resolved = resolveDeployment(d.definition, d.backendUrl, values);
  const { definition } = d;
  const policiesFor = (key: string): SnapshotPolicyInstance[] => resolved.policies
    .filter((p) => p.attachment.resources === 'all' || p.attachment.resources.includes(key))
    .map((p: ResolvedPolicy) => ({ name: p.ref.name, version: p.ref.version, phase: p.attachment.phase, config: p.config }));
  const resources: SnapshotResource[] = definition.resources.map((r) => ({
    method: r.method, path: r.path, security: { oauth2: r.security.oauth2, scopes: [...r.security.scopes] }, policies: policiesFor(resourceKey(r)),
  }));
  return {
    id: d.apiId, orgId: d.orgId, orgHandle: d.orgHandle, name: d.componentName,
    contextPath: definition.contextPath, version: definition.version, backendUrl: resolved.backendUrl,
    audience: gatewayAudience(d.orgId, d.environment),
    cors: definition.cors && {
      allowOrigins: definition.cors.allowOrigins, allowMethods: definition.cors.allowMethods, allowHeaders: definition.cors.allowHeaders,
      exposeHeaders: definition.cors.exposeHeaders, allowCredentials: definition.cors.allowCredentials, maxAgeSeconds: definition.cors.maxAge,
    },
    resources,
  };
}

/** Replaces every value the policy marks secret with `{"$sealed": …}` so the snapshot (and its file on disk) holds no secret in clear. */
function sealSecrets(apis: SnapshotApi[], masterKey: MasterKey): SnapshotApi[] {
  const sealed = new Map<unknown, unknown>();
  const seal = (config: Record<string, unknown>, paths: string[]): Record<string, unknown> => {
    if (!paths.length) return config;
    const out = structuredClone(config);
    for (const path of paths) {
      const keys = path.split('.');
      const last = keys.pop()!;
      const parent = keys.reduce<Record<string, unknown> | undefined>((o, k) => (o && typeof o[k] === 'object' ? (o[k] as Record<string, unknown>) : undefined), out);
      const value = parent?.[last];
      if (typeof value !== 'string') continue;
      // One ciphertext per distinct value and compile, so resources sharing a policy share its sealed value.
      if (!sealed.has(value)) sealed.set(value, { $sealed: masterKey.encrypt(value, SEALED_SECRET_CONTEXT) });
      parent![last] = sealed.get(value);
    }
    return out;
  };
  return apis.map((api) => ({
    ...api,
    resources: api.resources.map((r) => ({
      ...r,
      policies: r.policies.map((p) => ({ ...p, config: seal(p.config, secretPathsOf(p)) })),
    })),
  }));
}

const secretPathsOf = (p: SnapshotPolicyInstance): string[] => {
  const def = findPolicy(p.name, p.version);
  return def ? secretPaths(def.schema) : [];
};

/** Keys per IdP carried in the snapshot (a JWKS rarely has more than a handful). */
const MAX_SNAPSHOT_IDP_KEYS = 20;

/** The IdP's last good keys for the snapshot entry, so a disk snapshot verifies without the IdP. */
const snapshotJwks = (saved: PersistedKeys | undefined): Pick<SnapshotIdentityProvider, 'jwks'> =>
  saved && saved.jwks.keys.length > 0 ? { jwks: { keys: saved.jwks.keys.slice(0, MAX_SNAPSHOT_IDP_KEYS), fetchedAt: new Date(saved.fetchedAt).toISOString() } } : {};

export async function compileRuntimeSnapshot(options: CompileOptions): Promise<CompiledRuntime> {
  const { store, masterKey, environment, clock } = options;
  const nowIso = isoNow(clock);
  const skipped: CompiledRuntime['skipped'] = [];

  const apis: SnapshotApi[] = [];
  for (const d of await store.deployments.activeInEnvironment(environment)) {
    try {
      apis.push(compileApi(d, masterKey));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push({ apiId: d.apiId, orgId: d.orgId, reason });
    }
  }
  const served = new Set(apis.map((a) => a.id));

  const subscriptions: Record<string, string[]> = {};
  for (const s of await store.subscriptions.all()) {
    if (!served.has(s.apiId)) continue;
    (subscriptions[s.applicationId] ??= []).push(s.apiId);
  }

  const builtin: Record<string, string> = {};
  const external: SnapshotExternalClient[] = [];
  const identityProviders: SnapshotIdentityProvider[] = [];
  const revokedTokens: GatewaySnapshot['revokedTokens'] = [];
  const idpConfigs = new Map<string, IdpVerificationConfig>();
  const idpKeys = await store.identityProviders.allKeys();
  for (const org of await store.orgs.all()) {
    const env = await store.orgs.environment(org.id, environment);
    if (!env) continue;
    for (const c of await store.credentials.forOrgEnvironment(org.id, env.id)) {
      if (c.kind === 'builtin' && c.clientId) builtin[c.clientId] = c.applicationId;
      if (c.kind === 'external' && c.idpId && c.externalClientId) external.push({ idpId: c.idpId, externalClientId: c.externalClientId, appId: c.applicationId });
    }
    for (const idp of await store.identityProviders.list(org.id)) {
      const issuer = idp.issuer ?? idp.issuerTemplate;
      if (!issuer) continue;
      idpConfigs.set(idp.id, idp);
      identityProviders.push({
        id: idp.id, orgId: org.id, name: idp.name, issuer, jwksUri: idp.jwksUri, audiences: idp.audiences,
        clientIdClaim: idp.clientIdClaims[0] ?? 'client_id', clientIdClaims: idp.clientIdClaims.length > 0 ? idp.clientIdClaims : ['client_id'], clockSkewSeconds: idp.clockSkew,
        subjectClaim: idp.subjectClaim, maxTokenAge: idp.maxTokenAge, tokenTyping: idp.tokenTyping,
        ...(idp.issuerTemplate !== null && { issuerTemplate: idp.issuerTemplate, allowedTenantIds: idp.allowedTenantIds }),
        ...snapshotJwks(idpKeys.get(idp.id)),
      });
    }
    for (const r of await store.revocations.active(org.id, environment)) {
      revokedTokens.push({ jti: r.jti, exp: Math.ceil(Date.parse(r.expiresAt) / 1000) });
    }
  }

  const keys: SnapshotJwk[] = (await store.signingKeys.published(nowIso)).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg }) as SnapshotJwk);

  const content = {
    format: SNAPSHOT_FORMAT, environment, issuer: options.issuer, keys, apis, subscriptions,
    clients: { builtin, external }, identityProviders, revokedTokens,
  };
  const digest = sha256(canonicalJson(content));
  let sealed: GatewaySnapshot | undefined;
  return {
    // Sealing encrypts afresh each time; done only when someone needs this snapshot (its content changed).
    get snapshot() { return (sealed ??= { ...content, version: 0, generatedAt: nowIso, apis: sealSecrets(apis, masterKey) }); },
    digest, skipped, idpConfigs,
  };
}
