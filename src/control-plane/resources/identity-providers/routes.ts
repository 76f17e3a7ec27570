import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ExpectedTokenType } from '../../../shared/idp-keys/verify.js';
import { createIdpKeyCache } from '../../../shared/idp-keys/runtime.js';
import { orgAccess, type ControlPlaneDeps } from '../../context.js';
import { Body, HttpUrl, OrgParams } from '../../schemas.js';
import { sendIdpRouteError } from './fetch-errors.js';
import { CreateBody, DiscoveryView, ExplainBody, ExplainView, IdentityProviderView, IdpParams, TestView, UpdateBody } from './schema.js';
import { createIdentityProvider, deleteIdentityProvider, discover, explainToken, findIdp, updateIdentityProvider } from './service.js';
import { discoveryView, explainView, identityProviderView, keyTestView } from './view.js';

/**
 * Organization identity providers (`/orgs/:org/identity-providers`). Admins
 * manage them; developers may list and read them and ask `explain`.
 */
export const identityProviderRoutes =
  (deps: ControlPlaneDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { store } = deps;
    const keys = deps.idpKeys ?? createIdpKeyCache({ allowPrivate: deps.config.allowPrivateIdpUrls, clock: deps.clock, persistence: store.identityProviders, logger: deps.logger });
    const base = '/orgs/:org/identity-providers';
    app.setErrorHandler((error, request, reply) => sendIdpRouteError(error, request, reply));

    app.get(
      base,
      {
        schema: { tags: ['identity-providers'], summary: 'Identity providers of the organization', params: OrgParams, response: { 200: Type.Array(IdentityProviderView) } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        return (await store.identityProviders.list(org.id)).map((idp) => identityProviderView(idp, keys));
      },
    );

    app.get(
      `${base}/:idp`,
      {
        schema: { tags: ['identity-providers'], params: IdpParams, response: { 200: IdentityProviderView } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        return identityProviderView(await findIdp(store, org, request.params.idp), keys);
      },
    );

    app.post(
      `${base}/discover`,
      {
        schema: {
          tags: ['identity-providers'],
          summary: 'Fetch a discovery document and return what it says; saves nothing (admin only)',
          params: OrgParams,
          body: Body({ wellKnownUrl: HttpUrl }),
          response: { 200: DiscoveryView },
        },
      },
      async (request) => {
        await orgAccess(store, request, request.params.org, 'admin');
        return discoveryView(await discover(deps, request.body.wellKnownUrl));
      },
    );

    app.post(
      base,
      {
        schema: {
          tags: ['identity-providers'],
          summary: 'Connect an identity provider (admin only)',
          description: 'With `wellKnownUrl`, issuer, token endpoint and JWKS URI are discovered; each may be overridden. The signing keys are fetched at once.',
          params: OrgParams,
          body: CreateBody,
          response: { 201: IdentityProviderView },
        },
      },
      async (request, reply) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        const idp = await createIdentityProvider(deps, keys, org, user, request.body);
        return reply.code(201).send(identityProviderView(idp, keys));
      },
    );

    app.patch(
      `${base}/:idp`,
      {
        schema: {
          tags: ['identity-providers'],
          summary: 'Change an identity provider (admin only); its name is immutable',
          description: 'A new `wellKnownUrl` is discovered again. Fields not given keep their values.',
          params: IdpParams,
          body: UpdateBody,
          response: { 200: IdentityProviderView },
        },
      },
      async (request) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        const current = await findIdp(store, org, request.params.idp);
        return identityProviderView(await updateIdentityProvider(deps, keys, org, user, current, request.body), keys);
      },
    );

    app.delete(
      `${base}/:idp`,
      {
        schema: { tags: ['identity-providers'], summary: 'Remove an identity provider (admin only)', params: IdpParams, response: { 204: Type.Null() } },
      },
      async (request, reply) => {
        const { org, user } = await orgAccess(store, request, request.params.org, 'admin');
        await deleteIdentityProvider(store, keys, org, user, await findIdp(store, org, request.params.idp));
        return reply.code(204).send(null);
      },
    );

    app.post(
      `${base}/:idp/test`,
      {
        schema: { tags: ['identity-providers'], summary: 'Fetch the JWKS now and report the keys found, or the error (admin only)', params: IdpParams, response: { 200: TestView } },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org, 'admin');
        const idp = await findIdp(store, org, request.params.idp);
        return keyTestView(idp, await keys.refresh(idp));
      },
    );

    app.post(
      `${base}/:idp/explain`,
      {
        schema: {
          tags: ['identity-providers'],
          summary: 'Check a token against this provider step by step; the token is neither stored nor echoed',
          params: IdpParams,
          body: ExplainBody,
          response: { 200: ExplainView },
        },
      },
      async (request) => {
        const { org } = await orgAccess(store, request, request.params.org);
        const idp = await findIdp(store, org, request.params.idp);
        return explainView(await explainToken(deps, keys, idp, request.body.token, request.body.expectedType as ExpectedTokenType | undefined));
      },
    );
  };
