import { Type } from 'typebox';
import { CLIENT_CREDENTIALS, CREDENTIAL_GRANT_TYPES, TOKEN_EXCHANGE } from '../../../token-service/grants/grant-types.js';
import { MAX_SECRET_GRACE_PERIOD, MIN_TOKEN_LIFETIME } from '../../../token-service/credentials.js';
import { MAX_TOKEN_LIFETIME } from '../../../token-service/keys.js';
import { Body } from '../../schemas.js';

/**
 * The settings of a consumer's keys, declared once for the management API
 * (`…/applications/:app/credentials`) and the developer portal
 * (`…/portal/applications/:app/keys`). The schema checks only the shapes; the
 * token service's `checkSettings` checks the values and names the field
 * (`scopes.0 must be a scope token …`), so a bad value gets the same answer on
 * both paths.
 */
const GrantTypes = Type.Array(Type.String(), { minItems: 1, maxItems: 10, description: `${CLIENT_CREDENTIALS} and/or ${TOKEN_EXCHANGE}` });
const Scopes = Type.Array(Type.String({ minLength: 1, maxLength: 128 }), {
  maxItems: 100,
  description: 'scopes the client may be granted: scope tokens (printable ASCII without spaces, quotes or backslashes), at most 128 characters each',
});
const Lifetime = Type.Integer({ minimum: MIN_TOKEN_LIFETIME, maximum: MAX_TOKEN_LIFETIME, description: 'Access-token lifetime in seconds' });

const CredentialSettingsProps = { grantTypes: Type.Optional(GrantTypes), scopes: Type.Optional(Scopes), tokenLifetime: Type.Optional(Lifetime) };
/** Settings when keys are generated (all optional: the token service's defaults). */
export const CredentialSettingsBody = Body(CredentialSettingsProps);
/** Settings changed on existing keys: at least one. */
export const CredentialSettingsPatch = Type.Object(CredentialSettingsProps, { additionalProperties: false, minProperties: 1 });

/** How long a replaced secret keeps working. */
export const GracePeriodBody = Body({ gracePeriod: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_SECRET_GRACE_PERIOD, description: 'Seconds the old secret keeps working (default 0)' })) });

/** One grant type a test token is requested with. */
export const GrantType = Type.Enum([...CREDENTIAL_GRANT_TYPES], { description: `${CLIENT_CREDENTIALS} or ${TOKEN_EXCHANGE}` });

/** One environment's authentication configuration of an application (never a secret). */
export const AuthenticationView = Type.Object({
  environment: Type.String(),
  kind: Type.Enum(['builtin', 'external'], { description: 'builtin: the platform token service (default); external: an organization IdP' }),
  keysGenerated: Type.Boolean(),
  clientId: Type.Union([Type.String(), Type.Null()]),
  grantTypes: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  tokenLifetime: Type.Integer(),
  previousSecretExpiresAt: Type.Union([Type.String(), Type.Null()], { description: 'While set and in the future, the secret replaced last still works' }),
  idpId: Type.Union([Type.String(), Type.Null()]),
  externalClientId: Type.Union([Type.String(), Type.Null()]),
  tokenEndpoint: Type.Optional(Type.String({ description: 'Where the client gets tokens (builtin)' })),
});

export const WithSecret = Type.Object({ ...AuthenticationView.properties, clientSecret: Type.String({ description: 'Shown once; only its SHA-256 is stored' }) });

export const ApplicationCredentialsView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  componentId: Type.Union([Type.String(), Type.Null()]),
  ownerUserId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  authentication: Type.Array(AuthenticationView),
});

/** The portal's view of one environment's keys. */
export const KeysView = Type.Object({
  environment: Type.String(),
  displayName: Type.String(),
  label: Type.String({ description: 'e.g. "Production Keys"' }),
  tokenEndpoint: Type.String(),
  kind: Type.Union([Type.Literal('builtin'), Type.Literal('external'), Type.Null()], { description: 'null: no keys yet' }),
  consumerKey: Type.Union([Type.String(), Type.Null()]),
  grantTypes: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  tokenLifetime: Type.Union([Type.Integer(), Type.Null()]),
  previousSecretExpiresAt: Type.Union([Type.String(), Type.Null()], { description: 'the previous secret works until then (regeneration grace period)' }),
  identityProvider: Type.Union([Type.String(), Type.Null()], { description: 'external keys: the IdP' }),
  externalClientId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Union([Type.String(), Type.Null()]),
});
export const KeysWithSecretView = Type.Object({ ...KeysView.properties, consumerSecret: Type.String({ description: 'shown this once; only its hash is stored' }) });
