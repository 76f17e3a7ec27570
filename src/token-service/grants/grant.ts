import type { Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/index.js';
import type { Application } from '../../store/repos/applications.js';
import type { Credential } from '../../store/repos/credentials.js';
import type { Environment, Organization } from '../../store/repos/organizations.js';
import type { FormParams } from '../form.js';

/**
 * The contract of one grant type at `POST /oauth2/token`.
 *
 * The endpoint has already: parsed the form strictly (no repeated parameter),
 * authenticated the client (`client_secret_basic` or `client_secret_post`),
 * found this grant by `grant_type`, and checked that the client's credential
 * lists `type` among its grant types (otherwise `unauthorized_client`).
 * A grant only validates its own parameters and issues a token through
 * `ctx.issueAccessToken`. Every refusal is thrown as a typed error from
 * `src/shared/oauth-errors.ts` (`InvalidRequest`, `InvalidScope`,
 * `InvalidTarget`, …); the endpoint renders it.
 *
 * Registering a grant: one module in `src/token-service/grants/` exporting a
 * `GrantFactory`, listed on one line in `grants/index.ts`.
 */
export interface Grant {
  /** The `grant_type` value, e.g. `client_credentials` or `urn:ietf:params:oauth:grant-type:token-exchange`. */
  readonly type: string;
  handle(ctx: GrantContext): Promise<TokenResponse>;
}

/** Builds a grant once at start with what it needs (store, clock, caches…). */
export type GrantFactory = (deps: GrantDeps) => Grant;

export interface GrantDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The issuer (= `config.publicUrl`). */
  issuer: string;
  /** Installation config, for grants that need a setting (e.g. `allowPrivateIdpUrls`). */
  config: Config;
  /** The platform's shared external-IdP key cache (token exchange). */
  idpKeys?: import('../../shared/idp-keys/cache.js').IdpKeyCache;
}

/** The client that authenticated at the token endpoint, resolved to its records. */
export interface AuthenticatedClient {
  clientId: string;
  credential: Credential;
  application: Application;
  org: Organization;
  environment: Environment;
}

export interface GrantContext {
  client: AuthenticatedClient;
  /** Every form parameter, each exactly once (repeats were refused already). */
  params: FormParams;
  /**
   * The scope to grant: `requested` (space-separated, may be undefined) checked
   * against the credential's allowed scopes. Throws `InvalidScope` for a scope
   * the client may not have; without a request, the whole allowed set.
   */
  resolveScope(requested: string | undefined): string;
  /** Signs a platform access token (RFC 9068) for this client. */
  issueAccessToken(input: IssueAccessTokenInput): Promise<IssuedAccessToken>;
}

export interface IssueAccessTokenInput {
  /** `sub`: the client ID for client credentials, the end user for token exchange. */
  subject: string;
  /** Space-separated, already resolved with `resolveScope`; `''` (nothing granted) leaves the `scope` claim out. */
  scope: string;
  /**
   * Upper bound in seconds (e.g. the subject token's remaining life). The
   * token lives min(credential's token lifetime, maxLifetime); at least 1 s.
   */
  maxLifetime?: number;
  /** The IdP name recorded in the `idp` claim (token exchange). */
  idp?: string;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  /** Seconds. */
  expiresIn: number;
  /** Epoch seconds. */
  expiresAt: number;
  /** The granted scope; absent when nothing was granted (then the token has no `scope` claim). */
  scope?: string;
}

/** The success body of the token endpoint (RFC 6749 §5.1, RFC 8693 §2.2.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Omitted when no scope was granted (RFC 6749 §3.3); the endpoint drops an empty one. */
  scope?: string;
  issued_token_type?: string;
}
