/**
 * One API's redeploy reaching a gateway-only node (`drawbridge gateway
 * --control-plane`, issue 14 item 8) at 10, 1,000 and 10,000 APIs: from the
 * start of the transaction to the node's gateway serving the new snapshot
 * (commit, change feed, control-plane compile, the long poll's answer sealed
 * for the node, the node applying it), the bytes of that answer (a delta: the
 * changed API only) against the full snapshot, and the node's CPU from the
 * answer's arrival to the swap (parse, rebuild around its unchanged APIs,
 * gateway apply). Target: under 50 ms at 10,000 APIs. The control plane and
 * the node share this process (the node over real HTTP), so the wall time
 * includes both; the store is seeded directly.
 *
 *   node --import tsx bench/cluster-gateway-node.ts [--sizes 10,1000,10000] [--trials 20] [--full]
 *   (--full: the node asks as one without deltas would, for the comparison)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, redeployApi, seedApis, spread, type Spread } from './cluster-compile.js';

interface NodeBenchRow {
  apis: number;
  /** The node's start: its first (full) snapshot fetched and compiled, ms. */
  firstSyncMs: number;
  fullBytes: number;
  deltaBytes: Spread;
  /** Trials whose answer was a delta. */
  deltas: number;
  trials: number;
  redeployWall: Spread;
  /** Transaction start → committed, and → the answer read by the node (ms). */
  commitP50Ms: number;
  answerP50Ms: number;
  /** The node's CPU from the answer's arrival to the swap, ms. */
  nodeCpu: Spread;
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};

/** The last sync answer the node received: its size, whether it was a delta, and the CPU reading when it had arrived. */
let lastAnswer: { bytes: number; delta: boolean; cpu: NodeJS.CpuUsage; at: number } | undefined;

/**
 * Counts the node's sync answers (the body is read here and handed on as the
 * same bytes). `full`: the node's requests lose `have`, as an older node's
 * would, so every answer is the full snapshot (the cost before deltas).
 */
function countSyncAnswers(path: string, full: boolean): void {
  const fetchBefore = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const sync = String(input).includes(path);
    const res = await fetchBefore(sync && full ? String(input).replace(/&have=[^&]*/, '') : input, init);
    if (!sync || res.status !== 200) return res;
    const body = await res.arrayBuffer();
    lastAnswer = { bytes: body.byteLength, delta: (res.headers.get('content-type') ?? '').includes('delta'), cpu: process.cpuUsage(), at: performance.now() };
    return new Response(body, { status: res.status, headers: res.headers });
  };
}

async function measure(apis: number, trials: number): Promise<NodeBenchRow> {
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/logger.js');
  const { startPlatform } = await import('../src/platform.js');
  const { runRemoteGateway } = await import('../src/cli/remote-gateway.js');
  const { GATEWAY_TOKEN_PREFIX } = await import('../src/control-plane/gateway-sync.js');
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-gateway-node-'));
  const common = { DRAWBRIDGE_LOG_LEVEL: 'silent', DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1', DRAWBRIDGE_EGRESS_ALLOW: 'loopback' };
  const config = loadConfig(
    {
      ...common,
      DRAWBRIDGE_DATA_DIR: join(dir, 'control-plane'),
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: '', // no in-process gateway: the node is the only one
      DRAWBRIDGE_ADMIN_PASSWORD: 'correct horse battery staple',
      DRAWBRIDGE_PUBLIC_URL: 'http://drawbridge.bench',
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_DATABASE_URL: process.env.DRAWBRIDGE_BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'bench.db')}`,
    },
    { port: 0 },
  );
  const platform = await startPlatform(config, { print: () => {}, logger: createLogger('silent') });
  let node: Awaited<ReturnType<typeof runRemoteGateway>> | undefined;
  try {
    const ids = await seedApis(platform.store, apis);
    const token = `${GATEWAY_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    await platform.store.gatewayNodes.create({ name: 'bench-node', environment: 'development', token });
    const nodeConfig = loadConfig({ ...common, DRAWBRIDGE_DATA_DIR: join(dir, 'node'), DRAWBRIDGE_GATEWAYS: 'development=0' });
    let started = performance.now();
    node = await runRemoteGateway(nodeConfig, { controlPlaneUrl: platform.url, token, environment: 'development', port: 0, waitSeconds: 30, logger: createLogger('silent') });
    const firstSyncMs = performance.now() - started;
    const fullBytes = lastAnswer!.bytes;
    const served = node.gateway.status().snapshot?.apis;
    if (served !== apis) throw new Error(`the node serves ${served} APIs, expected ${apis}`);

    let applied: { at: number; nodeCpu: number } | undefined;
    let swapped: () => void = () => {};
    const gateway = node.gateway;
    const setSnapshot = gateway.setSnapshot.bind(gateway);
    gateway.setSnapshot = (snapshot) => {
      const written = setSnapshot(snapshot);
      applied = { at: performance.now(), nodeCpu: cpuMs(process.cpuUsage(lastAnswer!.cpu)) };
      swapped();
      return written;
    };
    // Settle: the start's garbage collected, the node's long poll waiting.
    await new Promise((r) => setTimeout(r, 2000));
    const walls: number[] = [];
    const commits: number[] = [];
    const answers: number[] = [];
    const nodeCpus: number[] = [];
    const bytes: number[] = [];
    let deltas = 0;
    const target = ids[Math.floor(apis / 2)]!;
    for (let t = 0; t < trials; t++) {
      const served = new Promise<void>((resolve) => {
        swapped = resolve;
      });
      started = performance.now();
      await redeployApi(platform.store, target, t);
      commits.push(performance.now() - started);
      await served;
      walls.push(applied!.at - started);
      answers.push(lastAnswer!.at - started);
      nodeCpus.push(applied!.nodeCpu);
      bytes.push(lastAnswer!.bytes);
      if (lastAnswer!.delta) deltas++;
      // Past the node's disk write of this snapshot (50 ms after the swap), so it does not land in the next trial.
      await new Promise((r) => setTimeout(r, 200 + apis / 50));
    }
    const res = await fetch(`${gateway.url}/bench/api-${Math.floor(apis / 2)}/v1/items/1`);
    if (res.status === 404) throw new Error('the node does not route the redeployed API');
    return {
      apis,
      firstSyncMs,
      fullBytes,
      deltaBytes: spread(bytes),
      deltas,
      trials,
      redeployWall: spread(walls),
      commitP50Ms: spread(commits).p50,
      answerP50Ms: spread(answers).p50,
      nodeCpu: spread(nodeCpus),
    };
  } finally {
    await node?.close();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const TARGET_REDEPLOY_MS = 50;

/** Runs the sizes one after the other and prints a line per size; returns the rows. */
export async function benchGatewayNode(options: { sizes?: number[]; trials?: number; full?: boolean; print?: (line: string) => void } = {}): Promise<NodeBenchRow[]> {
  const print = options.print ?? console.log;
  const { GATEWAY_SYNC_PATH } = await import('../src/control-plane/gateway-sync.js');
  countSyncAnswers(GATEWAY_SYNC_PATH, options.full ?? false);
  if (options.full) print('--full: the node asks as an older node would (no have=), so it gets the full snapshot every time');
  const rows: NodeBenchRow[] = [];
  const sizes = [...(options.sizes ?? [10, 1_000, 10_000])].sort((a, b) => a - b);
  print(`gateway-only node: one API's redeploy (transaction start → served by the node, over the long poll); target < ${TARGET_REDEPLOY_MS} ms`);
  for (const apis of sizes) {
    const row = await measure(apis, options.trials ?? 20);
    rows.push(row);
    const f = (n: number) => n.toFixed(1);
    print(
      `  ${String(apis).padStart(6)} APIs  node start ${row.firstSyncMs.toFixed(0)} ms (full snapshot ${row.fullBytes} B)  redeploy wall p50 ${f(row.redeployWall.p50)} ms p99 ${f(row.redeployWall.p99)} ms` +
        ` (p50 ${(row.redeployWall.p50 / TARGET_REDEPLOY_MS).toFixed(2)} x target, p99 ${(row.redeployWall.p99 / TARGET_REDEPLOY_MS).toFixed(2)} x target)`,
    );
    print(
      `          answers ${row.deltas} of ${row.trials} deltas: p50 ${row.deltaBytes.p50} B p99 ${row.deltaBytes.p99} B (${(row.deltaBytes.p50 / row.fullBytes).toFixed(4)} x the full snapshot); node CPU p50 ${f(row.nodeCpu.p50)} ms p99 ${f(row.nodeCpu.p99)} ms; p50 committed at ${f(row.commitP50Ms)} ms, answer read at ${f(row.answerP50Ms)} ms`,
    );
  }
  return rows;
}

if (import.meta.filename === process.argv[1]) {
  const sizes = arg('--sizes')?.split(',').map(Number);
  const trials = arg('--trials') ? Number(arg('--trials')) : undefined;
  await benchGatewayNode({ sizes, trials, full: process.argv.includes('--full') });
  process.exit(0);
}
