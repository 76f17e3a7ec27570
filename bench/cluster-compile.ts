/**
 * Cost of the snapshot compiler at 10, 1,000 and 10,000 APIs (issue 14 item 8):
 * idle CPU of a node that has nothing to do, and the time from one API's
 * redeploy (its transaction committed) to the node's gateway serving it.
 * Targets: idle under 0.5 % of a core, redeploy under 50 ms, at 10,000 APIs.
 * The store is seeded directly (not through the HTTP API) for speed.
 *
 *   node --import tsx bench/cluster-compile.ts [--sizes 10,1000,10000] [--idle-seconds 10]
 *   (on PostgreSQL when DRAWBRIDGE_BENCH_DATABASE_URL names an empty database; SQLite otherwise)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CompileBenchRow {
  apis: number;
  /** Full compile after seeding (ms): a node's start. */
  firstCompileMs: number;
  /** CPU used while idle, as % of one core. */
  idleCpuPercent: number;
  /** Commit of one API's redeploy → served by the gateway (ms). */
  redeployP50Ms: number;
  redeployMaxMs: number;
  /** CPU time of this process from the redeploy's start to the swap (ms, p50): the cost, whatever else runs on the machine. */
  redeployCpuP50Ms: number;
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
  const config = loadConfig({
    DRAWBRIDGE_DATA_DIR: dir, DRAWBRIDGE_HOST: '127.0.0.1', DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1', DRAWBRIDGE_GATEWAYS: 'development=0',
    DRAWBRIDGE_ADMIN_PASSWORD: 'correct horse battery staple', DRAWBRIDGE_PUBLIC_URL: 'http://drawbridge.bench', DRAWBRIDGE_LOG_LEVEL: 'silent',
    DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
    DRAWBRIDGE_DATABASE_URL: process.env.DRAWBRIDGE_BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}`,
  }, { port: 0 });
  const platform = await startPlatform(config, { print: () => {}, logger: createLogger('silent') });
  try {
    const { store } = platform;
    const ids: { orgId: string; apiId: string; environmentId: string; revisionId: string }[] = [];
    await store.transaction(async (tx) => {
      const org = await tx.orgs.create({ name: 'Bench', handle: 'bench' });
      const env = await tx.orgs.addEnvironment({ orgId: org.id, name: 'development', displayName: 'Development', gatewayUrl: 'http://127.0.0.1' });
      const project = await tx.projects.create({ orgId: org.id, name: 'bench', displayName: 'Bench', isDefault: true });
      for (let i = 0; i < apis; i++) {
        const component = await tx.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'api-proxy', name: `api-${i}`, displayName: `API ${i}` });
        const definition = {
          contextPath: `/api-${i}`, version: 'v1', cors: null,
          resources: [{ method: 'GET' as const, path: '/items/{id}', security: { oauth2: false, scopes: [] } }, { method: 'POST' as const, path: '/items', security: { oauth2: true, scopes: ['write'] } }],
          policies: [{ id: 'h', policy: 'set-headers@1.0.0', resources: 'all' as const, phase: 'request' as const, config: { headers: [{ name: 'x-bench', value: `api-${i}` }] } }],
        };
        await tx.apis.create({ id: component.id, orgId: org.id, visibility: 'public' as never, lifecycle: 'published', limits: null, backendUrls: {}, ...definition } as never);
        const { revision } = await tx.apis.ensureRevision(org.id, component.id, definition as never, 'bench');
        ids.push({ orgId: org.id, apiId: component.id, environmentId: env.id, revisionId: revision.id });
        await tx.deployments.activate({
          orgId: org.id, apiId: component.id, environmentId: env.id, environment: 'development', revisionId: revision.id, revisionNumber: 1,
          backendUrl: 'http://127.0.0.1:9/v1', params: {}, deployedBy: 'bench',
        });
      }
    });
    const gateway = platform.runtime.gateway('development')!;
    let started = performance.now();
    await platform.runtime.publisher.refresh();
    const firstCompileMs = performance.now() - started;
    const served = gateway.status().snapshot?.apis;
    if (served !== apis) throw new Error(`the gateway serves ${served} APIs, expected ${apis}`);

    // Idle: settle, then CPU over the window.
    await new Promise((r) => setTimeout(r, 1000));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const idleCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;

    // Served: the moment the gateway swapped the new snapshot in (its disk copy is written after).
    let swappedAt = 0;
    let swappedCpu = process.cpuUsage();
    const setSnapshot = gateway.setSnapshot.bind(gateway);
    gateway.setSnapshot = (snapshot) => {
      const written = setSnapshot(snapshot);
      swappedAt = performance.now();
      swappedCpu = process.cpuUsage();
      return written;
    };
    const times: number[] = [];
    const cpus: number[] = [];
    for (let t = 0; t < trials; t++) {
      const target = ids[Math.floor(apis / 2)]!;
      const before = gateway.status().snapshot!.version;
      started = performance.now();
      const cpuStart = process.cpuUsage();
      await store.transaction((tx) => tx.deployments.activate({
        orgId: target.orgId, apiId: target.apiId, environmentId: target.environmentId, environment: 'development', revisionId: target.revisionId,
        revisionNumber: 1, backendUrl: `http://127.0.0.1:9/v${t + 2}`, params: {}, deployedBy: 'bench',
      }));
      while (gateway.status().snapshot!.version === before) await new Promise((r) => setImmediate(r));
      times.push(swappedAt - started);
      cpus.push((swappedCpu.user - cpuStart.user + swappedCpu.system - cpuStart.system) / 1000);
      await new Promise((r) => setTimeout(r, 200));
    }
    times.sort((a, b) => a - b);
    cpus.sort((a, b) => a - b);
    return { apis, firstCompileMs, idleCpuPercent, redeployP50Ms: times[Math.floor(times.length / 2)]!, redeployMaxMs: times.at(-1)!, redeployCpuP50Ms: cpus[Math.floor(cpus.length / 2)]! };
  } finally {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the sizes one after the other and prints a line per size; returns the rows. */
export async function benchClusterCompile(options: { sizes?: number[]; idleSeconds?: number; trials?: number; print?: (line: string) => void } = {}): Promise<CompileBenchRow[]> {
  const print = options.print ?? console.log;
  const rows: CompileBenchRow[] = [];
  print('snapshot compiler: idle CPU and one API\'s redeploy (commit → served by the gateway); targets at 10,000 APIs: idle < 0.5 % of a core, redeploy < 50 ms');
  for (const apis of options.sizes ?? [10, 1_000, 10_000]) {
    const row = await measure(apis, options.idleSeconds ?? 10, options.trials ?? 20);
    rows.push(row);
    print(`  ${String(apis).padStart(6)} APIs  first compile ${row.firstCompileMs.toFixed(0).padStart(6)} ms  idle CPU ${row.idleCpuPercent.toFixed(2).padStart(5)} % of a core  redeploy p50 ${row.redeployP50Ms.toFixed(1)} ms (CPU ${row.redeployCpuP50Ms.toFixed(1)} ms), max ${row.redeployMaxMs.toFixed(1)} ms`);
  }
  return rows;
}

if (import.meta.filename === process.argv[1]) {
  const sizes = arg('--sizes')?.split(',').map(Number);
  const idleSeconds = arg('--idle-seconds') ? Number(arg('--idle-seconds')) : undefined;
  await benchClusterCompile({ sizes, idleSeconds });
  process.exit(0);
}
