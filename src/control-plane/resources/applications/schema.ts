import { Type } from 'typebox';

export const ApplicationView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  component: Type.Union([Type.String(), Type.Null()], { description: '`project/component` of the external consumer it belongs to; null for portal applications' }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'email of the owner' }),
  canManage: Type.Boolean({ description: 'whether the caller may change it' }),
  subscriptions: Type.Integer(),
  environmentsWithKeys: Type.Array(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
