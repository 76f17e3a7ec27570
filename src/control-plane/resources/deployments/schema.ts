import { Type, type Static } from 'typebox';
import { PARAM_NAME } from '../../snapshot/params.js';

export const ParamsInput = Type.Record(
  Type.String({ pattern: `^${PARAM_NAME}$` }),
  Type.Union([Type.String({ maxLength: 8192 }), Type.Object({ value: Type.String({ maxLength: 8192 }), secret: Type.Optional(Type.Boolean()) }, { additionalProperties: false })]),
  { description: 'name → value, or name → {value, secret}. Secret values are encrypted at rest and never returned.' },
);
export type ParamsBody = Static<typeof ParamsInput>;

export const DeploymentView = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  revision: Type.Integer(),
  status: Type.String(),
  backendUrl: Type.String({ description: 'as configured; `${param}` references are shown unresolved' }),
  params: Type.Record(Type.String(), Type.Object({ secret: Type.Boolean(), value: Type.Optional(Type.String()) }), { description: 'secret values are never returned' }),
  endpointUrl: Type.String({ description: "the URL this environment's gateway serves the API at" }),
  deployedBy: Type.String(),
  createdAt: Type.String(),
});
export const RevisionView = Type.Object({
  number: Type.Integer(),
  digest: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  definition: Type.Record(Type.String(), Type.Unknown()),
  parameters: Type.Array(Type.String(), { description: 'parameters referenced by its policies' }),
});
const ParameterNeed = Type.Object({
  name: Type.String(),
  secret: Type.Boolean(),
  value: Type.Optional(Type.String({ description: 'the value the target environment has now (plain parameters only)' })),
});
const PlannedParameter = Type.Object({
  name: Type.String(),
  secret: Type.Boolean({ description: 'a policy setting marked secret uses it, or the environment stores it sealed' }),
  stored: Type.Boolean({ description: "the environment's active deployment has a value for it (reused with reuseStoredValues)" }),
  value: Type.Optional(Type.String({ description: 'that value, for plain parameters only' })),
});
export const DeploymentPlanView = Type.Object({
  environment: Type.String(),
  displayName: Type.String(),
  endpointUrl: Type.String({ description: "the URL this environment's gateway serves the API at" }),
  backendUrl: Type.Union([Type.String(), Type.Null()], { description: "the backend URL the deploy would use (the query's, else the API's for this environment); null: none set" }),
  revision: Type.Union([Type.Integer(), Type.Null()], { description: 'the revision that would run: the one asked for, or the latest when the definition has not changed since; null: a new revision' }),
  active: Type.Union([Type.Object({ revision: Type.Integer(), backendUrl: Type.String(), deployedBy: Type.String(), createdAt: Type.String() }), Type.Null()], { description: 'what runs there now' }),
  parameters: Type.Array(PlannedParameter, { description: 'every ${parameter} the revision and backend URL reference' }),
});
export const SaveBackendUrl = Type.Optional(
  Type.Boolean({
    description: "with `backendUrl`: also keep it as the API's backendUrls for the target environment, in the same transaction as the deploy (nothing changes when the deploy fails); default false",
  }),
);
export const ReuseStored = Type.Optional(
  Type.Boolean({ description: "a parameter not in `params` takes the value the environment's active deployment holds (a secret one stays sealed); default false: every parameter must be given" }),
);
export const PromotionView = Type.Object({
  from: Type.String(),
  to: Type.String(),
  revision: Type.Integer(),
  backendUrl: Type.Union([Type.String(), Type.Null()], { description: "the target environment's backend URL from the API definition" }),
  parameters: Type.Array(ParameterNeed),
});
