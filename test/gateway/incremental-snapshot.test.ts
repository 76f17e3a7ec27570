import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot, type CompiledSnapshot } from '../../src/gateway/compile.js';
import type { SnapshotApi, SnapshotResource } from '../../src/gateway/snapshot.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { api, ENV, newSigner, snapshot, startBackend, startTestGateway, type Backend, type Signer, type TestGateway } from './helpers.js';

/**
 * The control plane hands a gateway the APIs that did not change as the very
 * same objects, and the gateway patches only the changed APIs' routes into its
 * router. What it serves must be what a full compile of the same snapshot serves.
 */
describe('gateway snapshots changed API by API', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const open = { oauth2: false, scopes: [] };
  let backend: Backend;
  let signer: Signer;
  let gw: TestGateway;
  const lines: string[] = [];
  let version = 1;

  /** An anonymous API whose backend path names it, so the echoed URL tells which API served a request. */
  const named = (id: string, contextPath: string, resources: [string, string][], apiVersion = 'v1'): SnapshotApi =>
    api(`${backend.url}/${id}`, {
      id,
      contextPath,
      version: apiVersion,
      resources: resources.map(([method, path]): SnapshotResource => ({ method: method as SnapshotResource['method'], path, security: open, policies: [] })),
    });
  const publish = (apis: SnapshotApi[]) => gw.setSnapshot(snapshot([signer.jwk], apis, { version: ++version }));
  /** Which API served `METHOD path` (its id), or the gateway's status and error code. */
  const served = async (method: string, path: string): Promise<string> => {
    const res = await fetch(gw.url + path, { method });
    const body = (await res.json()) as { url?: string; code?: string };
    return res.status === 200 ? body.url!.split('/')[1]! : `${res.status} ${body.code}`;
  };
  const leftOut = () =>
    lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'API left out of the gateway snapshot')
      .map((l) => [l.apiId, l.reason]);

  beforeAll(async () => {
    backend = await startBackend();
    signer = await newSigner(clock);
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    gw = await startTestGateway(undefined, { clock, logger: createLogger('info', sink) });
  });
  afterAll(async () => {
    await gw?.close();
    await backend?.close();
  });

  it("replacing one API leaves the others' routes and the precedence between them intact", async () => {
    // /acme/orders/v1/special: a literal route of `special` and a parameter route of `orders`; the literal wins.
    const orders = named('orders', '/orders', [
      ['GET', '/{id}'],
      ['POST', '/items'],
    ]);
    const special = named(
      'special',
      '/orders/v1',
      [
        ['GET', '/'],
        ['DELETE', '/{id}'],
      ],
      'special',
    );
    const billing = named('billing', '/billing', [['GET', '/invoices/{id}']]);
    await publish([orders, special, billing]);
    expect(await served('GET', '/acme/orders/v1/42')).toBe('orders');
    expect(await served('GET', '/acme/orders/v1/special')).toBe('special');
    expect(await served('DELETE', '/acme/orders/v1/special/7')).toBe('special');
    expect(await served('POST', '/acme/orders/v1/special')).toBe('405 method_not_allowed');

    // `orders` changes (a resource added, one gone); the other two are handed over as the same objects.
    const orders2 = named('orders', '/orders', [
      ['GET', '/{id}'],
      ['PUT', '/{id}'],
    ]);
    await publish([orders2, special, billing]);
    expect(gw.status().snapshot).toMatchObject({ version, apis: 3 });
    expect(await served('PUT', '/acme/orders/v1/42')).toBe('orders');
    expect(await served('POST', '/acme/orders/v1/items')).toBe('405 method_not_allowed');
    expect(await served('GET', '/acme/orders/v1/special')).toBe('special');
    expect(await served('PUT', '/acme/orders/v1/special')).toBe('405 method_not_allowed');
    expect(await served('DELETE', '/acme/orders/v1/special/7')).toBe('special');
    expect(await served('GET', '/acme/billing/v1/invoices/9')).toBe('billing');

    // `special` changes: the literal route still wins over `orders`' parameter.
    const special2 = named('special', '/orders/v1', [['GET', '/']], 'special');
    await publish([orders2, special2, billing]);
    expect(await served('GET', '/acme/orders/v1/special')).toBe('special');
    expect(await served('GET', '/acme/orders/v1/special/7')).toBe('404 not_found');
    expect(await served('GET', '/acme/orders/v1/42')).toBe('orders');
  });

  it('removing an API removes its routes, and the paths it shadowed go back to the API behind them', async () => {
    const orders = named('orders', '/orders', [['GET', '/{id}']]);
    const special = named('special', '/orders/v1', [['GET', '/']], 'special');
    const billing = named('billing', '/billing', [['GET', '/invoices/{id}']]);
    await publish([orders, special, billing]);
    expect(await served('GET', '/acme/orders/v1/special')).toBe('special');
    await publish([orders, billing]);
    expect(gw.status().snapshot).toMatchObject({ version, apis: 2 });
    expect(await served('GET', '/acme/orders/v1/special')).toBe('orders');
    await publish([orders]);
    const res = await fetch(`${gw.url}/acme/billing/v1/invoices/9`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'not_found', message: `No API resource is deployed at /acme/billing/v1/invoices/9 in ${ENV}` });
    expect(await served('GET', '/acme/orders/v1/1')).toBe('orders');
  });

  it('a changed base path moves the API: the old path is free, the new one served', async () => {
    const billing = named('billing', '/billing', [['GET', '/invoices/{id}']]);
    const orders = named('orders', '/orders', [['GET', '/{id}']]);
    await publish([orders, billing]);
    await publish([orders, named('billing', '/invoicing', [['GET', '/invoices/{id}']], 'v2')]);
    expect(await served('GET', '/acme/billing/v1/invoices/9')).toBe('404 not_found');
    expect(await served('GET', '/acme/invoicing/v2/invoices/9')).toBe('billing');
    // Another API may take the freed base path at once.
    await publish([orders, named('billing', '/invoicing', [['GET', '/invoices/{id}']], 'v2'), named('ledger', '/billing', [['GET', '/invoices/{id}']])]);
    expect(await served('GET', '/acme/billing/v1/invoices/9')).toBe('ledger');
  });

  it('a snapshot refused as a whole changes none of the APIs it brought; the next one does', async () => {
    const orders = named('orders', '/orders', [['GET', '/{id}']]);
    const billing = named('billing', '/billing', [['GET', '/invoices/{id}']]);
    await publish([orders, billing]);
    const moved = named('billing', '/invoicing', [['GET', '/invoices/{id}']]);
    const refused = snapshot([signer.jwk], [orders, moved], { version: ++version, subscriptions: { 'app-1': 'billing' as unknown as string[] } });
    await expect(gw.setSnapshot(refused)).rejects.toThrow('subscriptions.app-1: must be an array of API ids');
    expect(gw.status().snapshot?.version).toBe(version - 1);
    expect(await served('GET', '/acme/billing/v1/invoices/9')).toBe('billing');
    expect(await served('GET', '/acme/invoicing/v1/invoices/9')).toBe('404 not_found');
    await publish([orders, moved]);
    expect(await served('GET', '/acme/billing/v1/invoices/9')).toBe('404 not_found');
    expect(await served('GET', '/acme/invoicing/v1/invoices/9')).toBe('billing');
    expect(await served('GET', '/acme/orders/v1/1')).toBe('orders');
  });

  it('between two APIs claiming one route the one listed first keeps it, whichever of them is new', async () => {
    const billing = named('billing', '/billing', [['GET', '/']]);
    const later = named('later', '/orders', [
      ['GET', '/x'],
      ['GET', '/y'],
    ]);
    await publish([billing, later]);
    lines.length = 0;
    // A new API listed before `later` (deployed before it) takes the contested route and `later` is left out.
    const earlier = named('earlier', '/orders/v1', [['GET', '/']], 'x');
    await publish([billing, earlier, later]);
    expect(gw.status().snapshot).toMatchObject({ version, apis: 2 });
    expect(await served('GET', '/acme/orders/v1/x')).toBe('earlier');
    expect(await served('GET', '/acme/orders/v1/y')).toBe('404 not_found');
    expect(leftOut()).toEqual([['later', 'apis[2].resources[0]: GET /acme/orders/v1/x is already served by API earlier']]);
    // A new API listed after one holding its route is left out; the holder stays.
    lines.length = 0;
    const third = named('third', '/orders/v1', [['POST', '/']], 'x');
    await publish([billing, earlier, later, third]);
    expect(leftOut()).toEqual([
      ['later', 'apis[2].resources[0]: GET /acme/orders/v1/x is already served by API earlier'],
      ['third', 'apis[3].contextPath: /acme/orders/v1/x is already served by API earlier'],
    ]);
    expect(await served('GET', '/acme/orders/v1/x')).toBe('earlier');
    // The holder gone, the APIs it kept out are served.
    await publish([billing, later, third]);
    expect(gw.status().snapshot).toMatchObject({ version, apis: 3 });
    expect(await served('GET', '/acme/orders/v1/x')).toBe('later');
    expect(await served('POST', '/acme/orders/v1/x')).toBe('third');
    expect(await served('GET', '/acme/billing/v1')).toBe('billing');
  });
});

describe('compiling a snapshot from the previous one', () => {
  const logger = createLogger('silent');
  const objects = new Map<string, unknown>();
  const deps = {
    environment: ENV,
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    logger,
    shared: <T>(key: string, create: () => T): T => {
      if (!objects.has(key)) objects.set(key, create());
      return objects.get(key) as T;
    },
  };
  const SEGMENTS = ['a', 'b', 'c'];

  /** A small pseudo-random generator, so a failure can be replayed. */
  function random(seed: number): () => number {
    let s = seed;
    return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  }

  it('routes every path as a full compile of the same snapshot does, over many random changes', () => {
    const next = random(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const template = () => `/${Array.from({ length: 1 + Math.floor(next() * 2) }, () => (next() < 0.3 ? '{p}' : pick(SEGMENTS))).join('/')}`;
    const randomApi = (id: string): SnapshotApi => {
      const resources = new Map<string, SnapshotResource>();
      for (let i = 0; i < 1 + Math.floor(next() * 3); i++) {
        const method = pick(['GET', 'POST'] as const);
        const path = template();
        resources.set(`${method} ${path.replace(/\{p\}/g, '{}')}`, { method, path, security: { oauth2: false, scopes: [] }, policies: [] });
      }
      // Context paths and versions overlap on purpose: `/a` + `b` and `/a/b` + `c` share `/acme/a/b`.
      return api('http://127.0.0.1:9', { id, contextPath: `/${pick(SEGMENTS)}${next() < 0.5 ? `/${pick(SEGMENTS)}` : ''}`, version: pick(SEGMENTS), resources: [...resources.values()] });
    };
    const paths: string[] = [];
    const walk = (prefix: string, depth: number) => {
      paths.push(prefix);
      if (depth < 5) for (const s of [...SEGMENTS, 'z']) walk(`${prefix}/${s}`, depth + 1);
    };
    walk('/acme', 0);
    const routing = (c: CompiledSnapshot) =>
      paths.map((p) => {
        const methods = c.router.find(p);
        return methods
          ? [...methods]
              .map(([m, e]) => `${m}:${e.api.id}`)
              .sort()
              .join(',')
          : '';
      });
    const summary = (c: CompiledSnapshot) => ({ apis: c.apis.map((a) => a.id), skipped: c.skipped.map((s) => [s.at, s.id, s.reason, s.conflictsWith]) });

    let apis: SnapshotApi[] = Array.from({ length: 8 }, (_, i) => randomApi(`api-${i}`));
    let previous = compileSnapshot(snapshot([], apis, { subscriptions: {} }), deps);
    let ids = 8;
    for (let round = 0; round < 300; round++) {
      apis = apis.slice();
      const change = next();
      if (change < 0.5 && apis.length > 0) {
        const at = Math.floor(next() * apis.length);
        apis[at] = randomApi(apis[at]!.id);
      } else if (change < 0.7 && apis.length > 0) apis.splice(Math.floor(next() * apis.length), 1);
      else apis.splice(Math.floor(next() * (apis.length + 1)), 0, randomApi(`api-${ids++}`));
      const s = snapshot([], apis, { subscriptions: {}, version: round + 2 });
      const patched = compileSnapshot(s, { ...deps, previous });
      const full = compileSnapshot(s, deps);
      expect({ round, ...summary(patched) }).toEqual({ round, ...summary(full) });
      expect(routing(patched)).toEqual(routing(full));
      // The previous snapshot still routes as it did.
      expect(routing(previous)).toEqual(routing(compileSnapshot(previous.raw, deps)));
      previous = patched;
    }
  });
});
