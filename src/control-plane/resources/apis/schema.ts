import { Type, type Static } from 'typebox';
import { HTTP_METHODS } from '../../../store/repos/apis.js';
import { Body } from '../../schemas.js';
import { HEADER_NAME_PATTERN } from '../../../shared/http-token.js';
import { SCOPE_TOKEN_PATTERN } from '../../../shared/scope-token.js';

const CONTEXT_PATH = '^(/[A-Za-z0-9][A-Za-z0-9._~-]*)+$';
const VERSION = '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$';
export const SCOPE = SCOPE_TOKEN_PATTERN;

export const ApiParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });

const Method = Type.Enum([...HTTP_METHODS]);
const SecurityInput = Type.Object(
  {
    oauth2: Type.Optional(Type.Boolean({ default: true })),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: SCOPE }), { maxItems: 50, default: [] })),
  },
  { additionalProperties: false },
);
export const ResourceInput = Type.Object(
  {
    method: Method,
    path: Type.String({ minLength: 1, maxLength: 500 }),
    security: Type.Optional(SecurityInput),
    summary: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const CorsInput = Type.Object(
  {
    allowOrigins: Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { minItems: 1, maxItems: 100 }),
    allowMethods: Type.Optional(Type.Array(Method, { maxItems: 10 })),
    allowHeaders: Type.Optional(Type.Array(Type.String({ pattern: HEADER_NAME_PATTERN }), { maxItems: 100 })),
    exposeHeaders: Type.Optional(Type.Array(Type.String({ pattern: HEADER_NAME_PATTERN }), { maxItems: 100 })),
    allowCredentials: Type.Optional(Type.Boolean()),
    maxAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
  },
  { additionalProperties: false },
);
/** Per-API overrides of the gateway's limits; bounds keep a typo from disabling a limit or starving every request. */
const LIMIT_BOUNDS = {
  maxBodyBytes: { minimum: 1, maximum: 1024 * 1024 * 1024, description: 'request bodies above this are refused with 413 (gateway default 10 MiB; at most 1 GiB)' },
  connectTimeoutMs: { minimum: 100, maximum: 60_000, description: 'time to connect to the backend, ms (default 5000)' },
  headersTimeoutMs: { minimum: 100, maximum: 600_000, description: 'time for the backend to send its response headers, ms (default 30000)' },
  bodyTimeoutMs: { minimum: 100, maximum: 600_000, description: "longest pause between two chunks of the backend's body, ms (default 30000)" },
} as const;
export const LimitsInput = Type.Object(
  {
    maxBodyBytes: Type.Optional(Type.Integer(LIMIT_BOUNDS.maxBodyBytes)),
    connectTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.connectTimeoutMs)),
    headersTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.headersTimeoutMs)),
    bodyTimeoutMs: Type.Optional(Type.Integer(LIMIT_BOUNDS.bodyTimeoutMs)),
  },
  { additionalProperties: false },
);
export const PolicyInput = Type.Object(
  {
    policy: Type.String({ minLength: 3, maxLength: 100, description: '`name@version`, e.g. `set-headers@1.0.0`' }),
    resources: Type.Optional(
      Type.Union([Type.Literal('all'), Type.Array(Type.String({ maxLength: 520 }), { minItems: 1, maxItems: 200 })], { description: '`all` (default) or keys like `GET /items/{id}`' }),
    ),
    phase: Type.Optional(Type.Union([Type.Literal('request'), Type.Literal('response')], { description: 'default: the first phase the policy supports' })),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export const DefinitionProps = {
  contextPath: Type.String({ pattern: CONTEXT_PATH, maxLength: 200, description: 'e.g. `/orders`' }),
  version: Type.String({ pattern: VERSION, description: 'one path segment, e.g. `v1`' }),
  visibility: Type.Optional(Type.Enum(['public', 'private'])),
  resources: Type.Optional(Type.Array(ResourceInput, { maxItems: 500 })),
  backendUrls: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 2000 }), { description: 'environment name → absolute http(s) URL (may use `${param}`)' })),
  cors: Type.Optional(Type.Union([CorsInput, Type.Null()])),
  policies: Type.Optional(Type.Array(PolicyInput, { maxItems: 100 })),
  limits: Type.Optional(Type.Union([LimitsInput, Type.Null()], { description: "overrides of the gateway's limits for this API; null: the defaults" })),
};
export const DefineBody = Body(DefinitionProps);
export const PatchBody = Type.Object(
  {
    contextPath: Type.Optional(DefinitionProps.contextPath),
    version: Type.Optional(DefinitionProps.version),
    visibility: DefinitionProps.visibility,
    resources: DefinitionProps.resources,
    backendUrls: DefinitionProps.backendUrls,
    cors: DefinitionProps.cors,
    policies: DefinitionProps.policies,
    limits: DefinitionProps.limits,
  },
  { additionalProperties: false, minProperties: 1 },
);

const ResourceView = Type.Object({
  method: Type.String(),
  path: Type.String(),
  summary: Type.Optional(Type.String()),
  security: Type.Object({ oauth2: Type.Boolean(), scopes: Type.Array(Type.String()) }),
});
export const PolicyView = Type.Object({
  id: Type.String(),
  policy: Type.String(),
  resources: Type.Union([Type.Literal('all'), Type.Array(Type.String())]),
  phase: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown()),
});
const CorsView = Type.Object({
  allowOrigins: Type.Array(Type.String()),
  allowMethods: Type.Array(Type.String()),
  allowHeaders: Type.Array(Type.String()),
  exposeHeaders: Type.Array(Type.String()),
  allowCredentials: Type.Boolean(),
  maxAge: Type.Integer(),
});
export const ApiView = Type.Object({
  id: Type.String(),
  project: Type.String(),
  component: Type.String(),
  displayName: Type.String(),
  contextPath: Type.String(),
  version: Type.String(),
  visibility: Type.String(),
  lifecycle: Type.String(),
  resources: Type.Array(ResourceView),
  policies: Type.Array(PolicyView),
  cors: Type.Union([CorsView, Type.Null()]),
  limits: Type.Union([
    Type.Object({
      maxBodyBytes: Type.Optional(Type.Integer()),
      connectTimeoutMs: Type.Optional(Type.Integer()),
      headersTimeoutMs: Type.Optional(Type.Integer()),
      bodyTimeoutMs: Type.Optional(Type.Integer()),
    }),
    Type.Null(),
  ]),
  backendUrls: Type.Record(Type.String(), Type.String()),
  endpoints: Type.Array(Type.Object({ environment: Type.String(), url: Type.String(), deployedRevision: Type.Union([Type.Integer(), Type.Null()]) }), {
    description: "URL each environment's gateway serves this API at",
  }),
  document: Type.Object(
    {
      source: Type.Union([Type.Literal('imported'), Type.Literal('generated')], {
        description: '`imported`: GET …/api/openapi answers the document as imported; `generated`: one made from the definition',
      }),
      mediaType: Type.String({ description: 'of the imported document: application/json or application/yaml' }),
      sourceUrl: Type.Union([Type.String(), Type.Null()], { description: 'the URL it was imported from' }),
      importedAt: Type.Union([Type.String(), Type.Null()]),
    },
    { description: 'the OpenAPI document GET …/api/openapi serves' },
  ),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export type DefineInput = Static<typeof DefineBody>;
