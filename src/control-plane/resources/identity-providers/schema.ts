import { Type, type Static } from 'typebox';
import { CLOCK_SKEW, IDP_KINDS, MAX_TOKEN_AGE, TENANT_PLACEHOLDER, TOKEN_TYPINGS } from '../../../shared/idp-keys/presets.js';
import { Body, Description, HttpUrl, Slug } from '../../schemas.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Kind = literals(IDP_KINDS);
const Typing = literals(TOKEN_TYPINGS);
const ClaimName = Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,100}$', description: 'a JWT claim name' });
const Audience = Type.String({ minLength: 1, maxLength: 500 });
const Issuer = Type.String({ minLength: 1, maxLength: 2000, description: `issuer URL; Microsoft multi-tenant: a template containing ${TENANT_PLACEHOLDER}` });
const TenantId = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' });

const settable = {
  description: Type.Optional(Description),
  wellKnownUrl: Type.Optional(HttpUrl),
  issuer: Type.Optional(Issuer),
  issuerOverride: Type.Optional(Type.Boolean({ description: 'accept an issuer that differs from the one the well-known URL was built from (RFC 8414 §3.3)' })),
  tokenEndpoint: Type.Optional(HttpUrl),
  jwksUri: Type.Optional(HttpUrl),
  audiences: Type.Optional(Type.Array(Audience, { minItems: 1, maxItems: 50 })),
  allowedTenantIds: Type.Optional(Type.Array(TenantId, { maxItems: 200 })),
  clientIdClaims: Type.Optional(Type.Array(ClaimName, { minItems: 1, maxItems: 5, description: 'claims that carry the client ID, first present wins' })),
  subjectClaim: Type.Optional(ClaimName),
  tokenTyping: Type.Optional(Typing),
  clockSkew: Type.Optional(Type.Integer({ minimum: 0, maximum: CLOCK_SKEW.max })),
  maxTokenAge: Type.Optional(Type.Integer({ minimum: MAX_TOKEN_AGE.min, maximum: MAX_TOKEN_AGE.max })),
};

export const CreateBody = Body({ name: Slug, kind: Kind, ...settable, audiences: Type.Array(Audience, { minItems: 1, maxItems: 50 }) });
export const UpdateBody = Body({ name: Type.Optional(Type.String({ maxLength: 100, description: 'immutable: only the current name is accepted' })), kind: Type.Optional(Kind), ...settable });
export const IdpParams = Type.Object({ org: Type.String(), idp: Type.String() });

const KeyStatus = Type.Object({
  fetchedAt: Type.Union([Type.String(), Type.Null()]),
  keyIds: Type.Array(Type.Union([Type.String(), Type.Null()])),
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export const IdentityProviderView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  kind: Type.String(),
  wellKnownUrl: Type.Union([Type.String(), Type.Null()]),
  issuer: Type.String(),
  allowedTenantIds: Type.Array(Type.String()),
  tokenEndpoint: Type.Union([Type.String(), Type.Null()]),
  jwksUri: Type.String(),
  audiences: Type.Array(Type.String()),
  clientIdClaims: Type.Array(Type.String()),
  subjectClaim: Type.String(),
  tokenTyping: Type.String(),
  clockSkew: Type.Integer(),
  maxTokenAge: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  keys: KeyStatus,
});
export const DiscoveryView = Type.Object({
  wellKnownUrl: Type.String(),
  issuer: Type.String(),
  expectedIssuer: Type.Union([Type.String(), Type.Null()]),
  issuerMatches: Type.Boolean(),
  tokenEndpoint: Type.Union([Type.String(), Type.Null()]),
  jwksUri: Type.String(),
  signingAlgs: Type.Union([Type.Array(Type.String()), Type.Null()]),
});
export const TestView = Type.Object({
  ok: Type.Boolean(),
  jwksUri: Type.String(),
  keys: Type.Array(Type.Object({ kid: Type.Union([Type.String(), Type.Null()]), kty: Type.String(), crv: Type.Union([Type.String(), Type.Null()]), algorithms: Type.Array(Type.String()) })),
  skipped: Type.Array(Type.String()),
  fetchedAt: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
const StepView = Type.Object({ step: Type.String(), ok: Type.Boolean(), code: Type.Optional(Type.String()), message: Type.String() });
export const ExplainView = Type.Object({
  valid: Type.Boolean(),
  steps: Type.Array(StepView),
  subject: Type.Union([Type.String(), Type.Null()]),
  clientId: Type.Union([Type.String(), Type.Null()]),
  tokenKind: Type.Union([Type.String(), Type.Null()]),
});
export const ExplainBody = Body({ token: Type.String({ minLength: 1, maxLength: 65_536 }), expectedType: Type.Optional(literals(['access_token', 'id_token', 'jwt'] as const)) });

export type CreateInput = Static<typeof CreateBody>;
export type UpdateInput = Static<typeof UpdateBody>;
