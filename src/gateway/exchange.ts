/** One request's state from arrival to the access line. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../shared/logger.js';
import type { CompiledApi, CompiledResource, CompiledSnapshot, RouteEntry } from './compile.js';
import type { HeaderMap, PolicyApiInfo, PolicyResponseContext } from './policies/types.js';
import type { GatewayState } from './state.js';
import type { Principal } from './tokens.js';

const REQUEST_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Placeholder until `prepare`/`proxy` set the real maps (saves two allocations per request). */
const NO_HEADERS: HeaderMap = Object.freeze({}) as HeaderMap;

/**
 * One request's state. It is also the context policies see (it implements
 * `PolicyResponseContext`), so running policies allocates nothing extra.
 */
export class Exchange implements PolicyResponseContext {
  readonly started = performance.now();
  requestId: string;
  snap!: CompiledSnapshot;
  path = '';
  query = '';
  methods: Map<string, RouteEntry> | undefined;
  route: RouteEntry | undefined;
  upstreamPath = '';
  principal: Principal | undefined;
  appId: string | undefined;
  upstreamHeaders: HeaderMap = NO_HEADERS;
  replayable = false;
  body: Buffer | Readable | undefined;
  upstream: Dispatcher.ResponseData | undefined;
  status = 0;
  responseHeaders: HeaderMap = NO_HEADERS;
  /** Headers added to every answer, errors included (request ID, CORS). */
  extraHeaders: Record<string, string>;
  errorCode: string | undefined;
  /** The URL query carried `access_token` (RFC 6750 §2.3); it was removed from `query`, which is what the backend gets. */
  queryToken = false;
  private stateMap: Map<string, unknown> | undefined;

  constructor(
    readonly gw: GatewayState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {
    const sent = req.headers['x-request-id'];
    this.requestId = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    this.extraHeaders = { 'x-request-id': this.requestId };
  }

  get environment(): string {
    return this.gw.environment;
  }
  get method(): string {
    return this.req.method ?? 'GET';
  }
  get api(): PolicyApiInfo {
    return this.route!.api.info;
  }
  get log(): Logger {
    return this.gw.logger;
  }
  get state(): Map<string, unknown> {
    return (this.stateMap ??= new Map());
  }
  get apiRoute(): CompiledApi {
    return this.route!.api;
  }
  get resource(): CompiledResource {
    return this.route!.resource;
  }
}

/** A step answers the request itself by returning true; otherwise the next step runs. */
// biome-ignore lint/suspicious/noConfusingVoidType: a step that returns nothing lets the pipeline go on, like one that returns false.
export type Step = (ex: Exchange) => boolean | void | Promise<boolean | void>;
