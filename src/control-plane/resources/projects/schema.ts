import { Type } from 'typebox';

export const ProjectView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  displayName: Type.String(),
  description: Type.String(),
  isDefault: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const ProjectParams = Type.Object({ org: Type.String(), project: Type.String() });
