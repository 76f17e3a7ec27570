import type { Clock } from '../../shared/clock.js';
import type { EgressPolicy } from '../../shared/egress.js';
import type { Logger } from '../../shared/logger.js';
import type { Principal } from '../tokens.js';

/**
 * The policy framework contract. A policy is a folder with `schema.ts`
 * (declarative, JSON-serializable: the catalogue shows it and the compiler
 * validates configs with it) and `handler.ts` (phase hooks), registered in
 * `policies/index.ts`.
 */

export type PolicyPhase = 'request' | 'response';

export type FieldType = 'string' | 'integer' | 'boolean' | 'url' | 'header-name' | 'array' | 'object';

export interface PolicyField {
  name: string;
  type: FieldType;
  description: string;
  required?: boolean;
  default?: unknown;
  /** Encrypted at rest, never returned or logged; may arrive sealed in a snapshot. */
  secret?: boolean;
  enum?: readonly string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  /** Element description for `array`. */
  items?: Omit<PolicyField, 'name'>;
  /** Member fields for `object` (closed: unknown members are refused). */
  fields?: readonly PolicyField[];
  /** For `header-name`: names refused on top of those the gateway owns. */
  forbidden?: readonly string[];
}

export interface PolicySchema {
  name: string;
  version: string;
  displayName: string;
  description: string;
  /** Phases the policy may be attached to. */
  phases: readonly PolicyPhase[];
  fields: readonly PolicyField[];
}

/** Headers as node and undici use them: lower-case names. */
export type HeaderMap = Record<string, string | string[] | undefined>;

export interface PolicyApiInfo {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly version: string;
}

export interface PolicyRequestContext {
  readonly requestId: string;
  readonly environment: string;
  readonly method: string;
  /** Path forwarded to the backend (backend base path + normalized resource path), without query. */
  readonly upstreamPath: string;
  readonly api: PolicyApiInfo;
  /** Absent on resources without OAuth2 security. */
  readonly principal: Principal | undefined;
  /** Headers that will be sent to the backend; mutate to add, change or remove. */
  readonly upstreamHeaders: HeaderMap;
  /**
   * True when the request body is kept in memory, so the gateway can send the
   * request again after `onBackendUnauthorized` asks for it.
   */
  readonly replayable: boolean;
  /** Per request, shared by the request's policies: key entries by policy name. */
  readonly state: Map<string, unknown>;
  readonly log: Logger;
}

export interface PolicyResponseContext extends PolicyRequestContext {
  /** Backend status; may be changed. */
  status: number;
  /** Headers that will be sent to the consumer; mutate to add, change or remove. */
  readonly responseHeaders: HeaderMap;
}

/**
 * Phase hooks. Each may be synchronous (cheaper) or return a promise; throwing an
 * `ApiError`/`OAuthError`/`GatewayError` answers the request with it.
 */
export interface PolicyHandler {
  /** Request phase, before proxying: typically changes `upstreamHeaders`. */
  onRequest?(ctx: PolicyRequestContext): void | Promise<void>;
  /**
   * Request phase, after the backend answered 401 to a replayable request.
   * Return true (after updating `upstreamHeaders`, e.g. with a fresh token) to
   * have the gateway send the request once more; the second answer goes back
   * as it comes. Not called when the body was too large to keep.
   */
  onBackendUnauthorized?(ctx: PolicyRequestContext): boolean | Promise<boolean>;
  /** Response phase, before the backend's status and headers go to the consumer. */
  onResponse?(ctx: PolicyResponseContext): void | Promise<void>;
}

/** What a policy may use when an instance is created (once per snapshot load). */
export interface PolicyDeps {
  readonly environment: string;
  readonly api: PolicyApiInfo;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * One object per gateway listener and key, kept across snapshot swaps (e.g. a
   * token cache that must survive redeploys).
   */
  shared<T>(key: string, create: () => T): T;
  /** The installation's egress policy, for policies that open connections (outbound OAuth2 token requests); absent: no restriction. */
  readonly egress?: EgressPolicy;
}

export interface PolicyDefinition<C = Record<string, unknown>> {
  schema: PolicySchema;
  /** Builds a handler from a config already validated (defaults applied, secrets opened). */
  create(config: C, deps: PolicyDeps): PolicyHandler;
}
