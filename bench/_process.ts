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
