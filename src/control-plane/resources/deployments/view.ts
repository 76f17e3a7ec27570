import type { Api } from '../../../store/repos/apis.js';
import type { Deployment } from '../../../store/repos/deployments.js';
import type { Environment } from '../../../store/repos/organizations.js';
import { describeParams } from '../../snapshot/params.js';
import { endpointUrl, type ApiAccess } from '../apis/service.js';

export function deploymentView(access: ApiAccess, api: Api, env: Environment, d: Deployment) {
  return {
    id: d.id,
    environment: d.environment,
    revision: d.revisionNumber,
    status: d.status,
    backendUrl: d.backendUrl,
    params: describeParams(d.params),
    endpointUrl: endpointUrl(env, access.org, api),
    deployedBy: d.deployedBy,
    createdAt: d.createdAt,
  };
}
