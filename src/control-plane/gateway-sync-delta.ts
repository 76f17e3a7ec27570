/**
 * Snapshot deltas for gateway-only nodes: what changed between two snapshots
 * of one environment, judged by object identity (the publisher hands out an
 * unchanged API, and each unchanged part, as the very same object in every
 * version), and how a node rebuilds the new snapshot from the one it holds,
 * keeping its unchanged API objects so its gateway recompiles only the rest.
 *
 * On the wire (media type `DELTA_MEDIA_TYPE`): the new snapshot's top-level
 * fields, leaving out each object part that did not change; `apis` holds only
 * the APIs added or changed, `delta.at` their places in the new list,
 * `delta.removed` the ids of the APIs gone, `delta.count` the new list's
 * length, and `delta.base` the id of the snapshot it applies to.
 */
import type { GatewaySnapshot, SnapshotApi } from '../gateway/index.js';

/** A delta's media type; a full snapshot is `application/json`. */
export const DELTA_MEDIA_TYPE = 'application/vnd.drawbridge.snapshot-delta+json';
/** The response header naming the snapshot an answer brings (`<feed>.<version>`); a node sends it back as `have`. */
export const SNAPSHOT_ID_HEADER = 'x-drawbridge-snapshot-id';
export const SNAPSHOT_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}\.\d{1,20}$/;

/** Every other top-level object part is compared by identity as a whole; `clients` member by member. */
const CLIENT_PARTS = ['builtin', 'external'] as const;

export interface DeltaHeader {
  base: string;
  count: number;
  at: number[];
  removed: string[];
}

/** A delta before it is sealed for a node: `apis` and the parts are the control plane's own objects. */
export interface SnapshotDelta {
  header: Omit<DeltaHeader, 'base'>;
  /** The top-level fields to send, `apis` aside (scalars, and the object parts that changed). */
  fields: Record<string, unknown>;
  apis: SnapshotApi[];
}

/** Thrown by `applySnapshotDelta` when the delta does not fit the snapshot held: the node asks for the full snapshot. */
export class DeltaMismatch extends Error {}

/**
 * The API list a delta makes of `held`: the held APIs not removed or replaced
 * keep their order, and the upserts go to their places. Undefined when they
 * do not add up to `count`.
 */
function rebuildApis<T extends { id: string }>(held: readonly T[], header: Omit<DeltaHeader, 'base'>, upserts: readonly T[]): T[] | undefined {
  const drop = new Set(header.removed);
  for (const api of upserts) drop.add(api.id);
  const out: T[] = new Array(header.count);
  let k = 0;
  let j = 0;
  for (let i = 0; i < header.count; i++) {
    if (j < header.at.length && header.at[j] === i) {
      out[i] = upserts[j++]!;
      continue;
    }
    while (k < held.length && drop.has(held[k]!.id)) k++;
    if (k >= held.length) return undefined;
    out[i] = held[k++]!;
  }
  while (k < held.length && drop.has(held[k]!.id)) k++;
  return k === held.length && j === upserts.length ? out : undefined;
}

/**
 * The delta from `base` to `target`, or undefined when the node's rebuild
 * would not give exactly `target`'s list (then the full snapshot is sent).
 */
export function diffSnapshots(base: GatewaySnapshot, target: GatewaySnapshot): SnapshotDelta | undefined {
  // Only the stretch between the common head and tail (the same objects in the same places) is compared by sets: one API changed, one compared.
  const [was, now] = [base.apis, target.apis];
  let head = 0;
  while (head < was.length && head < now.length && was[head] === now[head]) head++;
  let tail = 0;
  while (tail < was.length - head && tail < now.length - head && was[was.length - 1 - tail] === now[now.length - 1 - tail]) tail++;
  const wasMiddle = was.slice(head, was.length - tail);
  const nowMiddle = now.slice(head, now.length - tail);
  const before = new Set<SnapshotApi>(wasMiddle);
  const at: number[] = [];
  const apis: SnapshotApi[] = [];
  for (let i = head; i < now.length - tail; i++) {
    if (!before.has(now[i]!)) {
      at.push(i);
      apis.push(now[i]!);
    }
  }
  const ids = new Set(nowMiddle.map((a) => a.id));
  const header = { count: now.length, at, removed: wasMiddle.filter((a) => !ids.has(a.id)).map((a) => a.id) };
  // The node's rebuild must give exactly the new list: checked on the middle, and that it drops nothing from the head or tail (ids listed twice).
  const rebuilt = rebuildApis(wasMiddle, { ...header, count: nowMiddle.length, at: at.map((i) => i - head) }, apis);
  if (!rebuilt || rebuilt.some((api, i) => api !== nowMiddle[i])) return undefined;
  const dropped = new Set([...header.removed, ...apis.map((a) => a.id)]);
  for (let i = 0; i < head; i++) if (dropped.has(was[i]!.id)) return undefined;
  for (let i = was.length - tail; i < was.length; i++) if (dropped.has(was[i]!.id)) return undefined;

  const fields: Record<string, unknown> = {};
  const old = base as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(target)) {
    if (key === 'apis' || key === 'clients') continue;
    if (typeof value !== 'object' || value === null || old[key] !== value) fields[key] = value;
  }
  const clients: Record<string, unknown> = {};
  for (const part of CLIENT_PARTS) if (target.clients[part] !== base.clients[part]) clients[part] = target.clients[part];
  if (Object.keys(clients).length) fields.clients = clients;
  return { header, fields, apis };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isIndexList = (v: unknown, count: number): v is number[] => Array.isArray(v) && v.every((n, i) => Number.isInteger(n) && n >= 0 && n < count && (i === 0 || n > (v[i - 1] as number)));

/**
 * The snapshot a delta makes of `held` (whose id is `heldId`): unchanged APIs
 * and parts are `held`'s own objects. Throws `DeltaMismatch` when the delta
 * is for another base or does not add up.
 */
export function applySnapshotDelta(held: GatewaySnapshot, heldId: string, body: unknown): GatewaySnapshot {
  if (!isObject(body) || !isObject(body.delta)) throw new DeltaMismatch('the delta has no "delta" header');
  const { base, count, at, removed } = body.delta;
  if (base !== heldId) throw new DeltaMismatch(`the delta applies to ${JSON.stringify(base)}, not to the snapshot held (${heldId})`);
  if (!Number.isSafeInteger(count) || (count as number) < 0) throw new DeltaMismatch('delta.count must be a whole number');
  if (!isIndexList(at, count as number)) throw new DeltaMismatch('delta.at must list ascending places in the new list');
  if (!Array.isArray(removed) || !removed.every((id) => typeof id === 'string')) throw new DeltaMismatch('delta.removed must list API ids');
  const upserts = body.apis;
  if (!Array.isArray(upserts) || upserts.length !== at.length || !upserts.every((a) => isObject(a) && typeof a.id === 'string'))
    throw new DeltaMismatch('apis must hold one API (with an id) per place in delta.at');
  const apis = rebuildApis(held.apis, { count: count as number, at, removed }, upserts as SnapshotApi[]);
  if (!apis) throw new DeltaMismatch('the delta does not fit the snapshot held');

  const { delta: _header, apis: _upserts, clients, ...fields } = body;
  const out = { ...held, ...fields, apis } as GatewaySnapshot;
  if (clients !== undefined) {
    if (!isObject(clients)) throw new DeltaMismatch('clients must be an object');
    out.clients = { ...held.clients, ...clients };
  }
  return out;
}
