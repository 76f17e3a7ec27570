import { randomToken, sha256 } from '../shared/crypto.js';
import { conflict, invalid } from '../shared/errors.js';
import { isUniqueViolation, type Store } from '../store/index.js';
import type { Application } from '../store/repos/applications.js';
import type { Component } from '../store/repos/projects.js';
import type { Credential } from '../store/repos/credentials.js';
import type { Environment, Organization } from '../store/repos/organizations.js';
import { CLIENT_CREDENTIALS, CREDENTIAL_GRANT_TYPES } from './grants/grant-types.js';
import { DEFAULT_TOKEN_LIFETIME } from './issue.js';
import { MAX_TOKEN_LIFETIME } from './keys.js';
import { isScopeToken } from './scope.js';

/** Client secrets carry this prefix so secret scanners can recognize leaked ones. */
const CLIENT_SECRET_PREFIX = 'dbs_';
/** Client IDs carry this prefix (not secret; it makes them recognizable in logs and configs). */
const CLIENT_ID_PREFIX = 'dbc_';
export const MIN_TOKEN_LIFETIME = 60;
/** Longest grace period during which a replaced secret still works (seconds). */
export const MAX_SECRET_GRACE_PERIOD = 7 * 86_400;

const newClientSecret = (): string => randomToken(32, CLIENT_SECRET_PREFIX);
const newClientId = (): string => randomToken(16, CLIENT_ID_PREFIX);

export interface CredentialSettings {
  grantTypes?: string[];
  scopes?: string[];
  tokenLifetime?: number;
}

/** Validates settings once, naming the exact field that is wrong. */
function checkSettings(settings: CredentialSettings): void {
  const fields: Record<string, string> = {};
  settings.grantTypes?.forEach((g, i) => {
    if (!CREDENTIAL_GRANT_TYPES.includes(g)) fields[`grantTypes.${i}`] = `must be one of ${CREDENTIAL_GRANT_TYPES.join(', ')}`;
    else if (settings.grantTypes!.indexOf(g) !== i) fields[`grantTypes.${i}`] = 'is repeated';
  });
  settings.scopes?.forEach((s, i) => {
    if (!isScopeToken(s)) fields[`scopes.${i}`] = 'must be a scope token (printable ASCII without spaces, quotes or backslashes)';
    else if (settings.scopes!.indexOf(s) !== i) fields[`scopes.${i}`] = 'is repeated';
  });
  const lifetime = settings.tokenLifetime;
  if (lifetime !== undefined && (!Number.isInteger(lifetime) || lifetime < MIN_TOKEN_LIFETIME || lifetime > MAX_TOKEN_LIFETIME)) {
    fields.tokenLifetime = `must be a whole number of seconds between ${MIN_TOKEN_LIFETIME} and ${MAX_TOKEN_LIFETIME}`;
  }
  if (Object.keys(fields).length)
    throw invalid(
      `Invalid credential settings: ${Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
      fields,
    );
}

export interface Actor {
  actorId: string | null;
  actor: string;
}

/** Every external-consumer component has one application, created on the component's transaction. */
export async function createComponentApplication(tx: Store, component: Component, ownerUserId: string | null): Promise<Application> {
  return tx.applications.create({ orgId: component.orgId, componentId: component.id, name: component.name, description: component.description, ownerUserId });
}

/**
 * Generate Keys: a client ID and a 256-bit secret for one environment. The
 * secret is returned here once and stored only as its SHA-256. Keys that
 * exist already are a 409 (regenerate the secret instead).
 */
export async function generateKeys(
  store: Store,
  input: { org: Organization; application: Application; environment: Environment; actor: Actor; settings: CredentialSettings },
): Promise<{ credential: Credential; clientSecret: string }> {
  checkSettings(input.settings);
  const { org, application, environment } = input;
  const clientSecret = newClientSecret();
  try {
    return await store.transaction(async (tx) => {
      const existing = await tx.credentials.forEnvironment(org.id, application.id, environment.id);
      if (existing?.kind === 'external') throw conflict(`The ${environment.name} environment of this application uses an external identity provider; remove that first`);
      if (existing) throw conflict(`Keys already exist for the ${environment.name} environment; regenerate the secret instead`);
      const credential = await tx.credentials.createBuiltin({
        orgId: org.id,
        applicationId: application.id,
        environmentId: environment.id,
        clientId: newClientId(),
        secretHash: sha256(clientSecret),
        grantTypes: input.settings.grantTypes ?? [CLIENT_CREDENTIALS],
        scopes: input.settings.scopes ?? [],
        tokenLifetime: input.settings.tokenLifetime ?? DEFAULT_TOKEN_LIFETIME,
      });
      await tx.audit.record({
        orgId: org.id,
        ...input.actor,
        action: 'credentials.generated',
        targetType: 'application',
        targetId: application.id,
        details: { environment: environment.name, clientId: credential.clientId, grantTypes: credential.grantTypes, scopes: credential.scopes, tokenLifetime: credential.tokenLifetime },
      });
      return { credential, clientSecret };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`Keys already exist for the ${environment.name} environment; regenerate the secret instead`);
    throw error;
  }
}

/**
 * Regenerate Secret: a new secret, returned once. The old one stops working
 * now, or after `gracePeriod` seconds so clients can roll over. A secret
 * still in its grace period from an earlier regeneration stops at once.
 */
export async function regenerateSecret(
  store: Store,
  input: { org: Organization; application: Application; environment: Environment; actor: Actor; gracePeriod: number },
): Promise<{ credential: Credential; clientSecret: string }> {
  const { org, application, environment, gracePeriod } = input;
  if (!Number.isInteger(gracePeriod) || gracePeriod < 0 || gracePeriod > MAX_SECRET_GRACE_PERIOD) {
    throw invalid(`gracePeriod must be a whole number of seconds between 0 and ${MAX_SECRET_GRACE_PERIOD}`, { gracePeriod: `must be between 0 and ${MAX_SECRET_GRACE_PERIOD}` });
  }
  const clientSecret = newClientSecret();
  return store.transaction(async (tx) => {
    const credential = await tx.credentials.forEnvironment(org.id, application.id, environment.id);
    if (credential?.kind !== 'builtin') throw conflict(`No keys exist for the ${environment.name} environment; generate keys first`);
    const oldHash = await tx.credentials.secretHash(org.id, credential.id);
    const expiresAt = new Date(store.clock.now() + gracePeriod * 1000).toISOString();
    await tx.credentials.replaceSecret(org.id, credential.id, sha256(clientSecret), gracePeriod > 0 && oldHash ? { hash: oldHash, expiresAt } : null);
    await tx.audit.record({
      orgId: org.id,
      ...input.actor,
      action: 'credentials.secret_regenerated',
      targetType: 'application',
      targetId: application.id,
      details: { environment: environment.name, clientId: credential.clientId, gracePeriod },
    });
    const updated = await tx.credentials.forEnvironment(org.id, application.id, environment.id);
    return { credential: updated!, clientSecret };
  });
}

/** Changes grant types, scopes or token lifetime of built-in credentials. */
export async function updateCredentialSettings(
  store: Store,
  input: { org: Organization; application: Application; environment: Environment; actor: Actor; settings: CredentialSettings },
): Promise<Credential> {
  checkSettings(input.settings);
  const { org, application, environment } = input;
  return store.transaction(async (tx) => {
    const credential = await tx.credentials.forEnvironment(org.id, application.id, environment.id);
    if (credential?.kind !== 'builtin') throw conflict(`No keys exist for the ${environment.name} environment; generate keys first`);
    await tx.credentials.updateSettings(org.id, credential.id, input.settings);
    await tx.audit.record({
      orgId: org.id,
      ...input.actor,
      action: 'credentials.updated',
      targetType: 'application',
      targetId: application.id,
      details: { environment: environment.name, clientId: credential.clientId, ...input.settings },
    });
    return (await tx.credentials.forEnvironment(org.id, application.id, environment.id))!;
  });
}
