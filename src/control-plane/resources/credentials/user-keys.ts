import { Type } from 'typebox';
import { invalid } from '../../../shared/errors.js';
import { gatewayAudience } from '../../../shared/jwt/index.js';
import type { IdpKind } from '../../../shared/idp-keys/presets.js';
import type { Credential } from '../../../store/repos/credentials.js';
import type { IdentityProvider } from '../../../store/repos/identity-providers.js';
import type { Environment, Organization } from '../../../store/repos/organizations.js';
import { TOKEN_EXCHANGE } from '../../../token-service/grants/grant-types.js';
import type { ControlPlaneDeps } from '../../context.js';
import { tokenEndpointUrl } from './service.js';

/** "User Keys": how to trade an IdP's token for a platform token, as steps and a curl command (nothing secret). */

export const SUBJECT_TOKEN_TYPE_JWT = 'urn:ietf:params:oauth:token-type:jwt';

/** Per IdP kind, how a client asks that IdP for a token with a given audience. One entry per kind. */
const AUDIENCE_REQUEST: Readonly<Record<IdpKind, (audience: string) => { parameter: string; value: string; hint: string }>> = {
  okta: (aud) => ({ parameter: 'scope', value: '<a scope of the authorization server>', hint: `Okta sets "aud" from the custom authorization server; its audience must be ${aud}` }),
  microsoft: (aud) => ({ parameter: 'scope', value: `${aud.replace(/\/+$/, '')}/.default`, hint: `Entra ID issues "aud" = ${aud} for the scope ${aud.replace(/\/+$/, '')}/.default` }),
  auth0: (aud) => ({ parameter: 'audience', value: aud, hint: `Auth0 issues a JWT access token for the API identifier ${aud}` }),
  keycloak: (aud) => ({ parameter: 'audience', value: aud, hint: `Keycloak puts ${aud} into "aud" with an audience mapper on the client` }),
  'generic-oidc': (aud) => ({ parameter: 'resource', value: aud, hint: `Ask for the resource (RFC 8707) or audience ${aud}` }),
};

/** POSIX shell single-quoting. */
const shq = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

function tokenExchangeCurl(tokenEndpoint: string, consumerKey: string): string {
  return [
    `curl -sS -X POST ${shq(tokenEndpoint)}`,
    `  -u "${consumerKey.replace(/["\\$`]/g, '\\$&')}:\${CONSUMER_SECRET}"`,
    `  -H 'Content-Type: application/x-www-form-urlencoded'`,
    `  --data-urlencode ${shq(`grant_type=${TOKEN_EXCHANGE}`)}`,
    `  --data-urlencode ${shq(`subject_token_type=${SUBJECT_TOKEN_TYPE_JWT}`)}`,
    `  --data-urlencode "subject_token=\${IDP_TOKEN}"`,
  ].join(' \\\n');
}

export const UserKeysView = Type.Object({
  environment: Type.String(),
  identityProvider: Type.Object({ name: Type.String(), kind: Type.String(), issuer: Type.String(), tokenEndpoint: Type.Union([Type.String(), Type.Null()]), audiences: Type.Array(Type.String()) }),
  idpTokenRequest: Type.Object({
    tokenEndpoint: Type.Union([Type.String(), Type.Null()]),
    audience: Type.String({ description: "the audience the steps and this request use: `?audience=`, else the IdP's first allowed one" }),
    parameter: Type.String({ description: 'the request parameter that carries the audience at this kind of IdP' }),
    value: Type.String(),
    hint: Type.String(),
  }),
  audiences: Type.Array(
    Type.Object({
      audience: Type.String(),
      parameter: Type.String(),
      value: Type.String(),
      hint: Type.String(),
    }),
    { description: 'every audience the IdP allows, each with how to ask for it (pick one with `?audience=`)' },
  ),
  tokenExchange: Type.Object({
    tokenEndpoint: Type.String(),
    consumerKey: Type.String(),
    grantType: Type.String(),
    subjectTokenType: Type.String(),
    audience: Type.String({ description: 'the platform audience of tokens issued for this environment' }),
  }),
  steps: Type.Array(Type.Object({ title: Type.String(), detail: Type.String() })),
  placeholders: Type.Record(Type.String(), Type.String()),
  curl: Type.String({ description: 'the token exchange; set CONSUMER_SECRET and IDP_TOKEN in the shell first' }),
});

/**
 * The User Keys answer for one IdP. `audience` (one of the IdP's allowed
 * audiences, else 400) picks the one the steps use; by default the first.
 */
export function userKeys(deps: ControlPlaneDeps, org: Organization, env: Environment, credential: Credential, idp: IdentityProvider, chosen?: string) {
  if (chosen !== undefined && !idp.audiences.includes(chosen)) {
    throw invalid(`"${chosen}" is not an allowed audience of identity provider "${idp.name}" (allowed: ${idp.audiences.join(', ') || 'none'})`, {
      audience: 'is not an allowed audience of the identity provider',
    });
  }
  const audience = chosen ?? idp.audiences[0] ?? '';
  const request = AUDIENCE_REQUEST[idp.kind](audience);
  const tokenEndpoint = tokenEndpointUrl(deps.config.publicUrl);
  const consumerKey = credential.clientId!;
  return {
    environment: env.name,
    identityProvider: { name: idp.name, kind: idp.kind, issuer: idp.issuer ?? idp.issuerTemplate ?? '', tokenEndpoint: idp.tokenEndpoint, audiences: idp.audiences },
    idpTokenRequest: { tokenEndpoint: idp.tokenEndpoint, audience, ...request },
    audiences: idp.audiences.map((aud) => ({ audience: aud, ...AUDIENCE_REQUEST[idp.kind](aud) })),
    tokenExchange: { tokenEndpoint, consumerKey, grantType: TOKEN_EXCHANGE, subjectTokenType: SUBJECT_TOKEN_TYPE_JWT, audience: gatewayAudience(org.id, env.name) },
    steps: [
      {
        title: `Get a token from ${idp.name}`,
        detail: `Request an access token from ${idp.tokenEndpoint ?? "the identity provider's token endpoint"} with ${request.parameter}=${request.value}. ${request.hint}. Put it in IDP_TOKEN.`,
      },
      { title: 'Provide the consumer secret', detail: `Put the consumer secret of consumer key ${consumerKey} in CONSUMER_SECRET (it was shown once; regenerate it if it is lost).` },
      { title: 'Exchange the token', detail: `Run the curl command: it posts the IdP token to ${tokenEndpoint} (RFC 8693 token exchange) and answers with a platform access token.` },
      { title: 'Call the API', detail: `Send "Authorization: Bearer <access_token>" to the ${env.name} gateway; the application must be subscribed to the API.` },
    ],
    placeholders: { CONSUMER_SECRET: `the consumer secret of ${consumerKey}`, IDP_TOKEN: `an access token issued by ${idp.name}` },
    curl: tokenExchangeCurl(tokenEndpoint, consumerKey),
  };
}
