import type { FastifyInstance } from 'fastify';
import { conflict, notFound } from '../../../shared/errors.js';
import type { Store } from '../../../store/index.js';
import type { Application } from '../../../store/repos/applications.js';
import type { Credential } from '../../../store/repos/credentials.js';
import type { Environment, Organization } from '../../../store/repos/organizations.js';
import { PATHS } from '../../../token-service/discovery.js';

/**
 * Consumer credentials beyond what the token service does itself
 * (`token-service/credentials.ts`: generate keys, regenerate the secret,
 * change settings, with the same rules on every path): where clients get
 * tokens, the built-in keys of an environment, and test tokens.
 */

export const tokenEndpointUrl = (issuer: string): string => issuer.replace(/\/+$/, '') + PATHS.token;

export async function builtinKeys(store: Store, org: Organization, app: Application, env: Environment): Promise<Credential> {
  const credential = await store.credentials.forEnvironment(org.id, app.id, env.id);
  if (!credential) throw notFound(`Keys for environment "${env.name}" (generate them first)`);
  if (credential.kind !== 'builtin')
    throw conflict(`The keys of environment "${env.name}" come from an external identity provider; they have no consumer secret`, { environment: 'has external keys' });
  return credential;
}

/**
 * Runs the token endpoint's own pipeline in-process (Fastify `inject`, no
 * socket): the same client authentication, grants and errors as a client
 * gets. Answers with the endpoint's status and body unchanged.
 */
export async function requestToken(server: FastifyInstance, consumerKey: string, consumerSecret: string, form: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const basic = Buffer.from(`${encodeURIComponent(consumerKey)}:${encodeURIComponent(consumerSecret)}`).toString('base64');
  const res = await server.inject({
    method: 'POST',
    url: PATHS.token,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    body = { error: 'server_error', error_description: 'The token endpoint did not answer with JSON' };
  }
  return { status: res.statusCode, body };
}
