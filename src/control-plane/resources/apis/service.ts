import type { FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import { apiBasePath } from '../../../gateway/index.js';
import { conflict, invalid, notFound, unprocessable } from '../../../shared/errors.js';
import { isUniqueViolation, type Store } from '../../../store/index.js';
import {
  basePathOf,
  canonicalJson,
  type Api,
  type ApiDocument,
  type ApiInput,
  type ApiResource,
  type CorsConfig,
  type Lifecycle,
  type PolicyAttachment,
  type Visibility,
} from '../../../store/repos/apis.js';
import type { Environment, Organization } from '../../../store/repos/organizations.js';
import type { Component } from '../../../store/repos/projects.js';
import { actorOf, type ControlPlaneDeps } from '../../context.js';
import { projectAccess, type ProjectAccess } from '../projects/service.js';
import type { ApiParams, DefineInput } from './schema.js';
import { normalizeBackendUrls, normalizeCors, normalizeLimits, normalizePolicies, normalizeResources } from './validation.js';

export interface ApiAccess extends ProjectAccess {
  component: Component;
}

/** Resolves `:org/projects/:project/components/:component` to an api-proxy component of an organization the caller belongs to. */
export async function apiComponentAccess(store: Store, request: FastifyRequest, params: Static<typeof ApiParams>): Promise<ApiAccess> {
  const access = await projectAccess(store, request, params.org, params.project);
  const component = await store.projects.component(access.org.id, access.project.id, params.component);
  if (!component) throw notFound('Component');
  if (component.type !== 'api-proxy') throw unprocessable(`Component "${component.name}" is an ${component.type}; only api-proxy components define APIs`, { component: 'is not an api-proxy' });
  return { ...access, component };
}

/** The API of an api-proxy component, or 404 when it has not been defined yet. */
export async function loadApi(store: Store, access: ApiAccess): Promise<Api> {
  const api = await store.apis.get(access.org.id, access.component.id);
  if (!api) throw notFound(`API of component "${access.component.name}" (define it first with PUT …/api)`);
  return api;
}

/** The URL an environment's gateway serves an API at. */
export const endpointUrl = (env: Pick<Environment, 'gatewayUrl'>, org: Pick<Organization, 'handle'>, api: Pick<Api, 'contextPath' | 'version'>): string =>
  env.gatewayUrl.replace(/\/+$/, '') + apiBasePath({ orgHandle: org.handle, contextPath: api.contextPath, version: api.version });

interface Definition {
  contextPath: string;
  version: string;
  visibility?: Visibility;
  resources?: ApiResource[];
  backendUrls?: Record<string, string>;
  cors?: CorsConfig | null;
  policies?: PolicyAttachment[];
}

/** Checks a full definition and returns the row to store. */
export async function buildApi(store: Store, access: ApiAccess, current: Api | undefined, body: Partial<DefineInput>): Promise<ApiInput> {
  const environments = await store.orgs.environments(access.org.id);
  const contextPath = body.contextPath ?? current?.contextPath;
  const version = body.version ?? current?.version;
  if (!contextPath || !version)
    throw invalid('contextPath and version are required to define an API', { ...(!contextPath && { contextPath: 'is required' }), ...(!version && { version: 'is required' }) });
  if (contextPath.length > 1 && /^\/_/.test(contextPath)) throw invalid('The context path must not start with "/_"', { contextPath: 'must not start with /_' });
  const resources = body.resources ? normalizeResources(body.resources, 'resources') : (current?.resources ?? []);
  const def: Definition = {
    contextPath,
    version,
    visibility: body.visibility ?? current?.visibility ?? 'public',
    resources,
    backendUrls: body.backendUrls ? normalizeBackendUrls(body.backendUrls, environments) : (current?.backendUrls ?? {}),
    cors: body.cors !== undefined ? normalizeCors(body.cors) : (current?.cors ?? null),
    policies: normalizePolicies(body.policies ?? current?.policies ?? [], resources, current?.policies),
  };
  const other = await store.apis.overlapping(access.org.id, contextPath, version, access.component.id);
  if (other) {
    if (other.contextPath === contextPath && other.version === version) {
      throw conflict(`Another API of this organization already serves ${contextPath} version ${version}`, { contextPath: 'is taken for this version' });
    }
    const component = await store.projects.componentById(access.org.id, other.id);
    throw conflict(`${basePathOf({ contextPath, version })} overlaps ${basePathOf(other)} (API ${component?.name ?? other.id}): one API's context path and version may not lie inside another's`, {
      contextPath: `overlaps ${basePathOf(other)}`,
    });
  }
  return {
    id: access.component.id,
    orgId: access.org.id,
    contextPath,
    version,
    visibility: def.visibility!,
    lifecycle: current?.lifecycle ?? 'created',
    resources,
    policies: def.policies!,
    cors: def.cors!,
    backendUrls: def.backendUrls!,
    limits: body.limits !== undefined ? normalizeLimits(body.limits) : (current?.limits ?? null),
  };
}

/**
 * Saves the API. `document`: the OpenAPI document it was imported from, kept
 * to be served; without one, a change of the resources forgets the document
 * kept before (it no longer describes the API, which then gets a generated one).
 */
export async function saveApi(deps: ControlPlaneDeps, access: ApiAccess, current: Api | undefined, next: ApiInput, action: string, document?: Omit<ApiDocument, 'importedAt'>): Promise<Api> {
  try {
    return await deps.store.transaction(async (tx) => {
      if (current) await tx.apis.save(next);
      else await tx.apis.create(next);
      if (document) await tx.apis.saveDocument(document);
      else if (current && canonicalJson(current.resources) !== canonicalJson(next.resources)) await tx.apis.deleteDocument(access.org.id, next.id);
      await tx.audit.record({
        orgId: access.org.id,
        ...actorOf(access.user),
        action,
        targetType: 'api',
        targetId: next.id,
        details: { component: access.component.name, contextPath: next.contextPath, version: next.version, resources: next.resources.length, policies: next.policies.map((p) => p.policy) },
      });
      return (await tx.apis.get(access.org.id, next.id))!;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`Another API of this organization already serves ${next.contextPath} version ${next.version}`, { contextPath: 'is taken for this version' });
    throw error;
  }
}

/** Lifecycle moves an API may make. */
export const TRANSITIONS: Record<Lifecycle, Lifecycle[]> = { created: ['published'], published: ['deprecated'], deprecated: ['published'] };
