/**
 * Memory soak (issue 14 item 6): one node under steady gateway load with a
 * redeploy every second, printing the process's RSS and heap every 10 s. The
 * RSS should flatten after warm-up; a steady climb is a leak.
 *
 *   node --expose-gc --import tsx bench/soak.ts [--minutes 10] [--concurrency 8]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SoakSample {
  atSeconds: number;
  rssMb: number;
  heapMb: number;
  requests: number;
  redeploys: number;
}

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function soak(options: { minutes?: number; concurrency?: number; print?: (line: string) => void } = {}): Promise<SoakSample[]> {
  const print = options.print ?? console.log;
  const minutes = options.minutes ?? 10;
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/logger.js');
  const { startPlatform } = await import('../src/platform.js');
  const upstream = createServer((req, res) => res.end(`upstream ${req.url}`));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-soak-'));
  const config = loadConfig(
    {
      DRAWBRIDGE_DATA_DIR: dir,
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_ADMIN_PASSWORD: 'correct horse battery staple',
      DRAWBRIDGE_PUBLIC_URL: 'http://drawbridge.soak',
      DRAWBRIDGE_LOG_LEVEL: 'silent',
      DRAWBRIDGE_MASTER_KEY: randomBytes(32).toString('hex'),
      DRAWBRIDGE_EGRESS_ALLOW: 'loopback, self',
      DRAWBRIDGE_DATABASE_URL: process.env.DRAWBRIDGE_BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'soak.db')}`,
    },
    { port: 0 },
  );
  const platform = await startPlatform(config, { print: () => {}, logger: createLogger('silent') });
  const samples: SoakSample[] = [];
  try {
    const { store } = platform;
    const ids = await store.transaction(async (tx) => {
      const org = await tx.orgs.create({ name: 'Soak', handle: 'soak' });
      const env = await tx.orgs.addEnvironment({ orgId: org.id, name: 'development', displayName: 'Development', gatewayUrl: 'http://127.0.0.1' });
      const project = await tx.projects.create({ orgId: org.id, name: 'soak', displayName: 'Soak', isDefault: true });
      const component = await tx.projects.createComponent({ orgId: org.id, projectId: project.id, type: 'api-proxy', name: 'orders', displayName: 'Orders' });
      const definition = {
        contextPath: '/orders',
        version: 'v1',
        cors: null,
        resources: [{ method: 'GET' as const, path: '/items/{id}', security: { oauth2: false, scopes: [] } }],
        policies: [{ id: 'h', policy: 'set-headers@1.0.0', resources: 'all' as const, phase: 'request' as const, config: { headers: [{ name: 'x-soak', value: '1' }] } }],
      };
      await tx.apis.create({ id: component.id, orgId: org.id, visibility: 'public', lifecycle: 'published', limits: null, backendUrls: {}, ...definition } as never);
      const { revision } = await tx.apis.ensureRevision(org.id, component.id, definition as never, 'soak');
      return { orgId: org.id, apiId: component.id, environmentId: env.id, revisionId: revision.id };
    });
    let redeploys = 0;
    const redeploy = () =>
      store.transaction((tx) =>
        tx.deployments.activate({
          orgId: ids.orgId,
          apiId: ids.apiId,
          environmentId: ids.environmentId,
          environment: 'development',
          revisionId: ids.revisionId,
          revisionNumber: 1,
          backendUrl: `${upstreamUrl}/v${redeploys++ % 2}`,
          params: {},
          deployedBy: 'soak',
        }),
      );
    await redeploy();
    await platform.runtime.publisher.refresh();
    const gateway = platform.runtime.gateway('development')!;
    const url = `${gateway.url}/soak/orders/v1/items/1`;
    const check = await fetch(url);
    if (check.status !== 200) throw new Error(`the soaked API answers ${check.status}: ${await check.text()}`);

    let requests = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const res = await fetch(url).catch(() => undefined);
        await res?.arrayBuffer();
        requests++;
      }
    };
    const workers = Array.from({ length: options.concurrency ?? 8 }, worker);
    const redeployer = setInterval(() => void redeploy().catch(() => {}), 1000);
    const started = performance.now();
    const sample = () => {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      const s: SoakSample = { atSeconds: Math.round((performance.now() - started) / 1000), rssMb: mb(m.rss), heapMb: mb(m.heapUsed), requests, redeploys };
      samples.push(s);
      print(`  ${String(s.atSeconds).padStart(5)} s  RSS ${s.rssMb.toFixed(1).padStart(6)} MB  heap ${s.heapMb.toFixed(1).padStart(6)} MB  requests ${s.requests}  redeploys ${s.redeploys}`);
    };
    print(`soak: ${minutes} min of load (${options.concurrency ?? 8} concurrent) with a redeploy every second`);
    sample();
    const sampler = setInterval(sample, 10_000);
    await new Promise((r) => setTimeout(r, minutes * 60_000));
    clearInterval(sampler);
    clearInterval(redeployer);
    stop = true;
    await Promise.all(workers);
    sample();
    return samples;
  } finally {
    await platform.close();
    upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  await soak({ minutes: Number(arg('--minutes') ?? 10), concurrency: Number(arg('--concurrency') ?? 8) });
  process.exit(0);
}
