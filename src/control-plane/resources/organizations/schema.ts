import { Type } from 'typebox';

export const OrgView = Type.Object({ id: Type.String(), name: Type.String(), handle: Type.String(), createdAt: Type.String(), role: Type.Optional(Type.String()) });
