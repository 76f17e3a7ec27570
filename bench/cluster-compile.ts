/**
 * Cost of the snapshot compiler at 10, 1,000 and 10,000 APIs (issue 14 item 8):
 * idle CPU of a node that has nothing to do, and one API's redeploy from the
 * start of its transaction to the node's gateway serving it (commit, change
 * feed, compile, publish, gateway apply; the publisher's 5 ms debounce
 * included in the wall time). Targets: idle under 0.5 % of a core, redeploy
 * under 50 ms, at 10,000 APIs. The floor is the same redeploy at the fewest
 * APIs of the run: what does not depend on the number of APIs on this machine
 * under its current load, so `x floor` says how much the APIs add.
 * The store is seeded directly (not through the HTTP API) for speed.
 *
 *   node --import tsx bench/cluster-compile.ts [--sizes 10,1000,10000] [--idle-seconds 10] [--trials 20]
 *   (on PostgreSQL when DRAWBRIDGE_BENCH_DATABASE_URL names an empty database; SQLite otherwise)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../src/store/index.js';

export interface Spread {
  p50: number;
  p99: number;
}

export interface CompileBenchRow {
  apis: number;
  /** Full compile after seeding (ms): a node's start. */
  firstCompileMs: number;
  /** CPU used while idle, as % of one core (the change feed's polls included). */
  idleCpuPercent: number;
  /** CPU of the publisher's timed re-read (every 60 s: revocations, signing keys, IdP keys), ms. */
  timedRereadCpuMs: number;
  /** Transaction start → the gateway serving the new snapshot (ms). */
  redeployWall: Spread;
  /** CPU of this process over the same span (ms): the cost, whatever else runs on the machine. */
  redeployCpu: Spread;
  /** Transaction start → committed (ms). */
  commitP50Ms: number;
  /** The gateway's apply alone (compile of the snapshot's changes and swap), CPU ms. */
  applyCpuP50Ms: number;
}

export interface SeededApi {
  orgId: string;
  apiId: string;
  environmentId: string;
  revisionId: string;
}

/** `apis` APIs of one organization, each deployed to `development` (two resources and a policy each), written to the store directly. */
export async function seedApis(store: Store, apis: number): Promise<SeededApi[]> {
  const ids: SeededApi[] = [];
  await store.transaction(async (tx) => {
    const org = await tx.orgs.create({ name: 'Bench', handle: 'bench' });
    const env = await tx.orgs.addEnvironment({ orgId: org.id, name: 'development', displayName: 'Development', gatewayUrl: 'http://127.0.0.1' });
    const project = await tx.projects.create({ orgId: org.id, name: 'bench', displayName: 'Bench', isDefault: true });
    for (let i = 0; i < apis; i++) {
      const component = await tx.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'api-proxy', name: `api-${i}`, displayName: `API ${i}` });
      const definition = {
        contextPath: `/api-${i}`,
        version: 'v1',
        cors: null,
        resources: [
          { method: 'GET' as const, path: '/items/{id}', security: { oauth2: false, scopes: [] } },
          { method: 'POST' as const, path: '/items', security: { oauth2: true, scopes: ['write'] } },
        ],
        policies: [{ id: 'h', policy: 'set-headers@1.0.0', resources: 'all' as const, phase: 'request' as const, config: { headers: [{ name: 'x-bench', value: `api-${i}` }] } }],
      };
      await tx.apis.create({ id: component.id, orgId: org.id, visibility: 'public' as never, lifecycle: 'published', limits: null, backendUrls: {}, ...definition } as never);
      const { revision } = await tx.apis.ensureRevision(org.id, component.id, definition as never, 'bench');
      ids.push({ orgId: org.id, apiId: component.id, environmentId: env.id, revisionId: revision.id });
      await tx.deployments.activate({
        orgId: org.id,
        apiId: component.id,
        environmentId: env.id,
        environment: 'development',
        revisionId: revision.id,
        revisionNumber: 1,
        backendUrl: 'http://127.0.0.1:9/v1',
        params: {},
        deployedBy: 'bench',
      });
    }
  });
  return ids;
}

/** Redeploys `target` with a backend URL of its own for trial `t` (a change of that one API). */
export async function redeployApi(store: Store, target: SeededApi, t: number): Promise<void> {
  await store.transaction((tx) =>
    tx.deployments.activate({
      orgId: target.orgId,
      apiId: target.apiId,
      environmentId: target.environmentId,
      environment: 'development',
      revisionId: target.revisionId,
      revisionNumber: 1,
      backendUrl: `http://127.0.0.1:9/v${t + 2}`,
      params: {},
      deployedBy: 'bench',
    }),
  );
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

async function measure(apis: number, idleSeconds: number, trials: number): Promise<CompileBenchRow> {
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/logger.js');
  const { startPlatform } = await import('../src/platform.js');
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-compile-'));
  const config = loadConfig(
    {
      DRAWBRIDGE_DATA_DIR: dir,
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_ADMIN_PASSWORD: 'correct horse battery staple',
      DRAWBRIDGE_PUBLIC_URL: 'http://drawbridge.bench',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_DATABASE_URL: process.env.DRAWBRIDGE_BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}`,
    },
    { port: 0 },
  );
  const platform = await startPlatform(config, { print: () => {}, logger: createLogger('silent') });
  try {
    const { store } = platform;
    const ids = await seedApis(store, apis);
    const gateway = platform.runtime.gateway('development')!;
    let started = performance.now();
    await platform.runtime.publisher.refresh();
    const firstCompileMs = performance.now() - started;
    const served = gateway.status().snapshot?.apis;
    if (served !== apis) throw new Error(`the gateway serves ${served} APIs, expected ${apis}`);

    // Idle: settle (the start's garbage collected and its code optimized, on V8's own threads), then CPU over the window.
    await new Promise((r) => setTimeout(r, 3000));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpuMs = cpuMs(process.cpuUsage(cpu0));
    const idleCpuPercent = (idleCpuMs / (performance.now() - t0)) * 100;

    // The timed re-read: what the publisher does every 60 s without a change (its CPU over 1 s, less idle).
    const cpuReread = process.cpuUsage();
    const tReread = performance.now();
    platform.runtime.publisher.rereadTimed();
    await new Promise((r) => setTimeout(r, 1000));
    const timedRereadCpuMs = Math.max(0, cpuMs(process.cpuUsage(cpuReread)) - (idleCpuMs / (idleSeconds * 1000)) * (performance.now() - tReread));

    // Served: the moment the gateway swapped the new snapshot in (its disk copy is written after).
    let applied: { at: number; cpu: NodeJS.CpuUsage; applyCpu: number } | undefined;
    let swapped: () => void = () => {};
    const setSnapshot = gateway.setSnapshot.bind(gateway);
    gateway.setSnapshot = (snapshot) => {
      const cpuStart = process.cpuUsage();
      const written = setSnapshot(snapshot);
      const cpu = process.cpuUsage();
      applied = { at: performance.now(), cpu, applyCpu: cpuMs(process.cpuUsage(cpuStart)) };
      swapped();
      return written;
    };
    const walls: number[] = [];
    const cpus: number[] = [];
    const commits: number[] = [];
    const applies: number[] = [];
    const target = ids[Math.floor(apis / 2)]!;
    for (let t = 0; t < trials; t++) {
      applied = undefined;
      const served = new Promise<void>((resolve) => {
        swapped = resolve;
      });
      const cpuStart = process.cpuUsage();
      started = performance.now();
      await redeployApi(store, target, t);
      commits.push(performance.now() - started);
      await served;
      walls.push(applied!.at - started);
      cpus.push(cpuMs(applied!.cpu) - cpuMs(cpuStart));
      applies.push(applied!.applyCpu);
      // Past the gateway's disk write of this snapshot (50 ms after the swap), so it does not land in the next trial.
      await new Promise((r) => setTimeout(r, 200 + apis / 50));
    }
    return {
      apis,
      firstCompileMs,
      idleCpuPercent,
      timedRereadCpuMs,
      redeployWall: spread(walls),
      redeployCpu: spread(cpus),
      commitP50Ms: spread(commits).p50,
      applyCpuP50Ms: spread(applies).p50,
    };
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}

const TARGET_IDLE_PERCENT = 0.5;
const TARGET_REDEPLOY_MS = 50;

/** Runs the sizes one after the other and prints a line per size; returns the rows. */
export async function benchClusterCompile(options: { sizes?: number[]; idleSeconds?: number; trials?: number; print?: (line: string) => void } = {}): Promise<CompileBenchRow[]> {
  const print = options.print ?? console.log;
  const rows: CompileBenchRow[] = [];
  const sizes = [...(options.sizes ?? [10, 1_000, 10_000])].sort((a, b) => a - b);
  print(`snapshot compiler: idle CPU and one API's redeploy (transaction start → served by the gateway); targets: idle < ${TARGET_IDLE_PERCENT} % of a core, redeploy < ${TARGET_REDEPLOY_MS} ms`);
  for (const apis of sizes) {
    const row = await measure(apis, options.idleSeconds ?? 10, options.trials ?? 20);
    rows.push(row);
    const floor = rows[0]!;
    const f = (n: number) => n.toFixed(1);
    print(
      `  ${String(apis).padStart(6)} APIs  first compile ${row.firstCompileMs.toFixed(0)} ms  idle CPU ${row.idleCpuPercent.toFixed(2)} % of a core (${(row.idleCpuPercent / TARGET_IDLE_PERCENT).toFixed(2)} x target), timed re-read ${f(row.timedRereadCpuMs)} ms CPU per 60 s`,
    );
    print(
      `          redeploy wall p50 ${f(row.redeployWall.p50)} ms p99 ${f(row.redeployWall.p99)} ms (p50 ${(row.redeployWall.p50 / TARGET_REDEPLOY_MS).toFixed(2)} x target), CPU p50 ${f(row.redeployCpu.p50)} ms p99 ${f(row.redeployCpu.p99)} ms` +
        ` (${(row.redeployCpu.p50 / TARGET_REDEPLOY_MS).toFixed(2)} x target); commit p50 ${f(row.commitP50Ms)} ms, gateway apply CPU p50 ${f(row.applyCpuP50Ms)} ms` +
        (row === floor
          ? '  [floor]'
          : `; x floor (${floor.apis} APIs): wall ${(row.redeployWall.p50 / floor.redeployWall.p50).toFixed(2)}, CPU ${(row.redeployCpu.p50 / floor.redeployCpu.p50).toFixed(2)}`),
    );
  }
  return rows;
}

if (import.meta.filename === process.argv[1]) {
  const sizes = arg('--sizes')?.split(',').map(Number);
  const idleSeconds = arg('--idle-seconds') ? Number(arg('--idle-seconds')) : undefined;
  const trials = arg('--trials') ? Number(arg('--trials')) : undefined;
  await benchClusterCompile({ sizes, idleSeconds, trials });
  process.exit(0);
}
