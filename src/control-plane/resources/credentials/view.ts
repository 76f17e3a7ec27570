import type { Store } from '../../../store/index.js';
import { PATHS } from '../../../token-service/discovery.js';
import type { Credential } from '../../../store/repos/credentials.js';
import type { Environment, Organization } from '../../../store/repos/organizations.js';
import { tokenEndpointUrl } from './service.js';

export function authenticationView(tokenEndpoint: string | undefined, environment: Environment, credential: Credential | undefined) {
  return {
    environment: environment.name,
    kind: credential?.kind ?? 'builtin',
    keysGenerated: credential?.kind === 'builtin',
    clientId: credential?.clientId ?? null,
    grantTypes: credential?.grantTypes ?? [],
    scopes: credential?.scopes ?? [],
    tokenLifetime: credential?.tokenLifetime ?? 3600,
    previousSecretExpiresAt: credential?.previousSecretExpiresAt ?? null,
    idpId: credential?.idpId ?? null,
    externalClientId: credential?.externalClientId ?? null,
    ...(tokenEndpoint !== undefined && { tokenEndpoint }),
  };
}

/** Per environment in promotion order: how the application authenticates there. */
export async function authenticationByEnvironment(store: Store, issuer: string | undefined, orgId: string, applicationId: string) {
  const [environments, credentials] = await Promise.all([store.orgs.environments(orgId), store.credentials.forApplication(orgId, applicationId)]);
  return environments.map((e) =>
    authenticationView(
      issuer === undefined ? undefined : issuer + PATHS.token,
      e,
      credentials.find((c) => c.environmentId === e.id),
    ),
  );
}

/** For a component overview: each environment's authentication configuration of the component's application (none for API proxies). */
export async function componentAuthentication(store: Store, orgId: string, componentId: string) {
  const application = await store.applications.byComponent(orgId, componentId);
  if (!application) return new Map<string, ReturnType<typeof authenticationView>>();
  return new Map((await authenticationByEnvironment(store, undefined, orgId, application.id)).map((a) => [a.environment, a]));
}

/** How the portal labels an environment's keys: production's are the "Production Keys". */
export const keysLabel = (env: Environment): string => `${env.name === 'production' ? 'Production' : env.displayName} Keys`;

export async function keysView(store: Store, issuer: string, org: Organization, env: Environment, credential: Credential | undefined) {
  const idp = credential?.idpId ? await store.identityProviders.byId(org.id, credential.idpId) : undefined;
  return {
    environment: env.name,
    displayName: env.displayName,
    label: keysLabel(env),
    tokenEndpoint: tokenEndpointUrl(issuer),
    kind: credential?.kind ?? null,
    consumerKey: credential?.clientId ?? null,
    grantTypes: credential?.grantTypes ?? [],
    scopes: credential?.scopes ?? [],
    tokenLifetime: credential?.kind === 'builtin' ? credential.tokenLifetime : null,
    previousSecretExpiresAt: credential?.previousSecretExpiresAt ?? null,
    identityProvider: idp?.name ?? null,
    externalClientId: credential?.externalClientId ?? null,
    createdAt: credential?.createdAt ?? null,
  };
}
