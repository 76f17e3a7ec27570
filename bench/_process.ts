/**
 * Process helpers the benchmarks share: each runs its servers in child
 * processes (roles), pins the one under test to a core, and reads its CPU time.
 * Files starting with `_` are not benchmarks (bench/run.ts skips them).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';

/** Forks `self` with `--role <role>` and resolves with the first message the child sends. */
export function forkRole<M>(self: string, role: string, env: Record<string, string> = {}, execArgv: string[] = []): Promise<{ proc: ChildProcess; msg: M }> {
  const proc = fork(self, ['--role', role], { execArgv: ['--import', 'tsx', ...execArgv], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (msg) => resolve({ proc, msg: msg as M }));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** In a child role: answers the parent's `'cpu'` message with the CPU time (µs) used so far. */
export function serveCpuUsage(): void {
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    }
  });
}

/** CPU time (µs) a child role has used so far: the cost figure least sensitive to other load on the machine. */
export function cpuOf(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: { cpu?: number }) => {
      if (m.cpu !== undefined) {
        proc.off('message', onMessage);
        resolve(m.cpu);
      }
    };
    proc.on('message', onMessage);
    proc.send('cpu');
  });
}

/** Pins a process to one core with taskset (`BENCH_PIN=0` to skip); false when it could not. */
export function pin(pid: number, core: number): boolean {
  if (process.env.BENCH_PIN === '0') return false;
  try {
    execFileSync('taskset', ['-pc', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What a `runPlatformNode` child tells its parent. */
export interface PlatformNodeInfo {
  url: string;
  gateway: string;
}

/**
 * In a child role: one platform node on the database of `DRAWBRIDGE_DATABASE_URL` (from the
 * environment the parent gave), a development gateway, admin `password`; sends its URLs to the
 * parent and stops (removing its data folder) when the parent goes away.
 */
export async function runPlatformNode(password: string): Promise<void> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/logger.js');
  const { startPlatform } = await import('../src/platform.js');
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-bench-node-'));
  const config = loadConfig(
    {
      ...process.env,
      DRAWBRIDGE_DATA_DIR: dir,
      DRAWBRIDGE_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAY_HOST: '127.0.0.1',
      DRAWBRIDGE_GATEWAYS: 'development=0',
      DRAWBRIDGE_ADMIN_PASSWORD: password,
      DRAWBRIDGE_PUBLIC_URL: 'http://drawbridge.bench',
    },
    { port: 0 },
  );
  const platform = await startPlatform(config, { print: () => {}, logger: createLogger('silent') });
  process.send!({ url: platform.url, gateway: platform.runtime.gateway('development')!.url } satisfies PlatformNodeInfo);
  process.on('disconnect', () => {
    void platform.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}
