import { describe, expect, it } from 'vitest';
import { applySnapshotDelta, DeltaMismatch, diffSnapshots } from '../../src/control-plane/gateway-sync-delta.js';
import type { GatewaySnapshot } from '../../src/gateway/index.js';

/** The delta's two halves without HTTP: the control plane's diff by identity and the node's rebuild (over HTTP: gateway-node-delta.test.ts). */

describe('applying a delta', () => {
  const api = (id: string, note = '') => ({ id, note }) as unknown as GatewaySnapshot['apis'][number];
  const snapshot = (version: number, apis: GatewaySnapshot['apis']) =>
    ({
      format: 1,
      version,
      generatedAt: 'now',
      environment: 'development',
      issuer: 'i',
      keys: [],
      subscriptions: {},
      clients: { builtin: {}, external: [] },
      identityProviders: [],
      revokedTokens: [],
      apis,
    }) as GatewaySnapshot;
  const [a, b, c] = [api('a'), api('b'), api('c')];
  const held = snapshot(1, [a, b, c]);

  it('rebuilds the new list around the held API objects, and takes the held parts the delta leaves out', () => {
    const b2 = api('b', 'changed');
    const d = api('d');
    // The publisher's way: unchanged parts are the same objects (the clients wrapper is new, its members are not).
    const target: GatewaySnapshot = { ...held, version: 2, clients: { ...held.clients }, apis: [a, b2, d] };
    const delta = diffSnapshots(held, target)!;
    expect(delta.header).toEqual({ count: 3, at: [1, 2], removed: ['c'] });
    expect(Object.keys(delta.fields).sort()).toEqual(['environment', 'format', 'generatedAt', 'issuer', 'version']);
    const body = JSON.parse(JSON.stringify({ delta: { base: 'feed.1', ...delta.header }, ...delta.fields, apis: delta.apis }));
    const out = applySnapshotDelta(held, 'feed.1', body);
    expect(out.apis[0]).toBe(a);
    expect(out.apis.map((x) => x.id)).toEqual(['a', 'b', 'd']);
    expect(out.keys).toBe(held.keys);
    expect(out.clients.builtin).toBe(held.clients.builtin);
    expect(out.version).toBe(2);
  });

  it('refuses a delta for another base, or one that does not add up, and the control plane sends none when unchanged APIs move', () => {
    const body = { delta: { base: 'feed.1', count: 3, at: [], removed: [] }, version: 2, apis: [] };
    expect(() => applySnapshotDelta(held, 'feed.0', body)).toThrow(DeltaMismatch);
    expect(() => applySnapshotDelta(held, 'other.1', body)).toThrow('the delta applies to "feed.1", not to the snapshot held (other.1)');
    expect(() => applySnapshotDelta(held, 'feed.1', { ...body, delta: { ...body.delta, count: 4 } })).toThrow('the delta does not fit the snapshot held');
    expect(() => applySnapshotDelta(held, 'feed.1', { ...body, delta: { ...body.delta, count: 2 } })).toThrow('the delta does not fit the snapshot held');
    expect(() => applySnapshotDelta(held, 'feed.1', { ...body, delta: { ...body.delta, at: [0] } })).toThrow('apis must hold one API (with an id) per place in delta.at');
    expect(() => applySnapshotDelta(held, 'feed.1', { ...body, delta: { ...body.delta, at: [1, 1] }, apis: [a, a] })).toThrow('delta.at must list ascending places in the new list');
    expect(() => applySnapshotDelta(held, 'feed.1', { version: 2 })).toThrow('the delta has no "delta" header');
    expect(diffSnapshots(held, snapshot(2, [b, a, c]))).toBeUndefined();
  });

  it('gives a delta that rebuilds the new list exactly for any replacements, additions and removals (200 random edits)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let next = 0;
    let current = snapshot(
      1,
      Array.from({ length: 20 }, () => api(`api-${next++}`)),
    );
    for (let round = 0; round < 200; round++) {
      const apis = [...current.apis];
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const kind = random(3);
        const at = random(apis.length + 1);
        if (kind === 0 && at < apis.length) apis[at] = api(apis[at]!.id, `round ${round}`);
        else if (kind === 1) apis.splice(at, 0, api(`api-${next++}`));
        else if (apis.length > 1) apis.splice(Math.min(at, apis.length - 1), 1);
      }
      const target: GatewaySnapshot = { ...current, version: current.version + 1, apis };
      const delta = diffSnapshots(current, target)!;
      expect(delta).toBeDefined();
      const out = applySnapshotDelta(current, 'feed.x', JSON.parse(JSON.stringify({ delta: { base: 'feed.x', ...delta.header }, ...delta.fields, apis: delta.apis })));
      expect(out.apis.map((a) => a.id)).toEqual(apis.map((a) => a.id));
      out.apis.forEach((a, i) => {
        if (current.apis.includes(apis[i]!)) expect(a).toBe(apis[i]);
      });
      expect(delta.apis.length).toBe(apis.filter((a) => !current.apis.includes(a)).length);
      current = out;
    }
  });

  it('sends no delta when an id is listed twice', () => {
    expect(diffSnapshots(held, snapshot(2, [a, b, api('a')]))).toBeUndefined();
    expect(diffSnapshots(held, snapshot(2, [api('c'), b, c]))).toBeUndefined();
  });
});
