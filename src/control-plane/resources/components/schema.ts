import { Type } from 'typebox';
import { AuthenticationView } from '../credentials/schema.js';

export const ComponentTypeSchema = Type.Enum(['external-consumer', 'api-proxy']);

export const ComponentView = Type.Object({
  id: Type.String(),
  project: Type.String(),
  type: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

/**
 * One environment as seen from a component. Features that attach
 * per-environment configuration to components (authentication of external
 * consumers, backends of API proxies) add their properties here and in
 * `componentOverview`.
 */
const ComponentEnvironmentView = Type.Object({ name: Type.String(), displayName: Type.String(), position: Type.Integer(), authentication: Type.Optional(AuthenticationView) });

export const ComponentOverviewView = Type.Object({
  ...ComponentView.properties,
  environments: Type.Array(ComponentEnvironmentView, { description: 'Environments in promotion order' }),
});

export const ComponentParams = Type.Object({ org: Type.String(), project: Type.String(), component: Type.String() });
