import { ConfigError } from '../shared/errors.js';
import { planApi } from './compile-api.js';
import type { ApiTable, BuiltApi, CompileDeps, CompiledApi, CompiledSnapshot, RouteEntry } from './compile.js';
import { findPolicy } from './policies/index.js';
import type { PolicyHandler } from './policies/types.js';
import { Router } from './router.js';

/**
 * The served APIs of a snapshot for `compileSnapshot` (`compile.ts`): compiled
 * in full, or patched into the previous snapshot's (only the APIs that are
 * not the very same objects as then are compiled, and only their routes
 * change, on a copy of the previous router that shares the rest).
 */

/** A problem found while compiling the APIs, logged and listed once the APIs are settled. */
interface ApiProblem {
  at: string;
  raw: unknown;
  error: unknown;
  conflictsWith?: string;
}

/** The served APIs of a snapshot: routed, listed in snapshot order, and kept for the next compile. */
export interface ApiSet {
  router: Router<RouteEntry>;
  apis: CompiledApi[];
  table: ApiTable;
  problems: ApiProblem[];
}

/**
 * An incremental compile that a full one must replace: an API it adds takes a
 * route from one listed after it (only a full compile orders that), or most
 * APIs are new.
 */
export class ReorderNeeded extends Error {}

const newTable = (): ApiTable => ({ built: new Map(), bases: new Map(), routes: new Map(), generation: 0, claimed: false });

/**
 * Plans (or reuses) one API, checks its base path and routes against the APIs
 * already in `table`, creates its policy handlers and routes it. Returns false
 * (with the problem in `problems`) when it is left out. `holderFirst` says
 * whether the API holding a contested path is listed before this one.
 */
function addApi(into: ApiSet, rawApi: unknown, at: string, deps: CompileDeps, reused: BuiltApi | undefined, holderFirst: (holder: string) => boolean): boolean {
  const { table, router } = into;
  let conflictsWith: string | undefined;
  const contested = (holder: string): string => {
    if (!holderFirst(holder)) throw new ReorderNeeded();
    return (conflictsWith = holder);
  };
  try {
    const plan = reused ? { ...reused, policies: [] } : planApi(rawApi, at, deps);
    const { api } = plan;
    const clash = table.bases.get(api.basePath);
    if (clash) throw new ConfigError(`${at}.contextPath`, `${api.basePath} is already served by API ${contested(clash)}`);
    for (const r of plan.routes) {
      const holder = table.routes.get(r.key);
      if (holder) {
        // A reused API's routes name its index in the snapshot it was compiled from.
        throw new ConfigError(reused ? at + r.at.slice(reused.at.length) : r.at, `${r.method} ${api.basePath}${r.path === '/' ? '' : r.path} is already served by API ${contested(holder)}`);
      }
    }
    for (const p of plan.policies) {
      const def = findPolicy(p.name, p.version)!;
      let handler: PolicyHandler;
      try {
        handler = def.create(p.config, { environment: deps.environment, api: api.info, clock: deps.clock, logger: deps.logger, shared: deps.shared, egress: deps.egress });
      } catch (error) {
        throw error instanceof ConfigError ? error : new ConfigError(p.at, `cannot be set up: ${error instanceof Error ? error.message : String(error)}`);
      }
      const compiled = { key: `${p.name}@${p.version}`, handler };
      if (p.phase === 'request') {
        p.resource.requestPolicies.push(compiled);
        if (handler.onBackendUnauthorized) p.resource.retryOn401 = true;
      } else p.resource.responsePolicies.push(compiled);
    }
    table.bases.set(api.basePath, api.id);
    for (const r of plan.routes) {
      table.routes.set(r.key, api.id);
      router.add(r.segments, r.method, { api, resource: r.resource });
    }
    const built = reused ?? { at, api, routes: plan.routes, seen: 0 };
    built.seen = table.generation;
    table.built.set(rawApi, built);
    return true;
  } catch (error) {
    if (error instanceof ReorderNeeded) throw error;
    into.problems.push({ at, raw: rawApi, error, ...(conflictsWith !== undefined && { conflictsWith }) });
    return false;
  }
}

/** Every API in snapshot order (the first listed keeps a contested path), reusing what `reuse` holds for the same objects. */
export function compileAllApis(list: unknown[], deps: CompileDeps, reuse: Map<unknown, BuiltApi> | undefined): ApiSet {
  const into: ApiSet = { router: new Router(), apis: [], table: newTable(), problems: [] };
  list.forEach((rawApi, i) => {
    if (addApi(into, rawApi, `apis[${i}]`, deps, reuse?.get(rawApi), () => true)) into.apis.push(into.table.built.get(rawApi)!.api);
  });
  return into;
}

/**
 * The previous snapshot's APIs changed into `list`'s: APIs that are no longer
 * listed (as the same object) are unrouted, new ones compiled and routed,
 * the others kept as they are, on a copy of the previous router that shares
 * every node it does not change. Throws `ReorderNeeded` when a new API
 * contests a path with an API listed after it.
 */
export function patchApis(list: unknown[], deps: CompileDeps, previous: CompiledSnapshot): ApiSet {
  const table = previous.table;
  table.claimed = true;
  const generation = ++table.generation;
  const fresh: number[] = [];
  // In snapshot order; a new API's place is filled once it is compiled.
  const apis: (CompiledApi | undefined)[] = [];
  let kept = 0;
  for (let i = 0; i < list.length; i++) {
    const built = table.built.get(list[i]);
    if (!built) fresh.push(i);
    else if (built.seen === generation)
      throw new ReorderNeeded(); // listed twice
    else {
      built.seen = generation;
      kept++;
    }
    apis.push(built?.api);
  }
  // Mostly new objects (a snapshot read from disk or the network): compiling afresh costs less than patching.
  if (kept * 2 < list.length) throw new ReorderNeeded();
  const into: ApiSet = { router: previous.router.edit(), apis: [], table: { ...table, claimed: false }, problems: [] };
  if (kept < table.built.size) {
    for (const [raw, built] of table.built) {
      if (built.seen === generation) continue;
      table.built.delete(raw);
      table.bases.delete(built.api.basePath);
      for (const r of built.routes) {
        table.routes.delete(r.key);
        into.router.remove(r.segments, r.method);
      }
    }
  }
  let positions: Map<string, number> | undefined;
  const listedAt = (id: string): number => {
    if (!positions) {
      positions = new Map();
      for (let i = 0; i < list.length; i++) {
        const built = table.built.get(list[i]);
        if (built) positions.set(built.api.id, i);
      }
    }
    return positions.get(id) ?? -1;
  };
  let left = false;
  for (const i of fresh) {
    if (addApi(into, list[i], `apis[${i}]`, deps, undefined, (holder) => listedAt(holder) < i)) apis[i] = table.built.get(list[i])!.api;
    else left = true;
  }
  into.apis = (left ? apis.filter((a) => a !== undefined) : apis) as CompiledApi[];
  return into;
}
