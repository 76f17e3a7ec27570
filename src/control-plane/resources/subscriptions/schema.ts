import { Type } from 'typebox';

export const SubscriptionView = Type.Object({
  id: Type.String(),
  applicationId: Type.String(),
  applicationName: Type.String(),
  apiId: Type.String(),
  api: Type.String({ description: '`project/component` of the API' }),
  contextPath: Type.String(),
  version: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
});

/** A subscription as the portal shows it on an application's page. */
export const PortalSubscriptionView = Type.Object({
  id: Type.String(),
  applicationId: Type.String(),
  apiId: Type.String(),
  api: Type.String({ description: '`project/component`' }),
  apiName: Type.String(),
  contextPath: Type.String(),
  version: Type.String(),
  lifecycle: Type.String(),
  connections: Type.Array(Type.String(), { description: 'connections that rely on this subscription' }),
  createdBy: Type.String(),
  createdAt: Type.String(),
});
