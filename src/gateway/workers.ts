/**
 * Gateway worker processes (`DRAWBRIDGE_GATEWAY_WORKERS`): the primary forks
 * one worker per slot with `node:cluster`; every worker binds the same
 * listener ports (sharing each port's accept queue), gets
 * its snapshots itself (from the database or the control plane, as a
 * `drawbridge gateway` node does) and tells the primary when it serves. A
 * worker that dies is forked again in its slot; `close()` asks every worker to
 * drain (each waits for its requests in flight, up to the drain time) and
 * waits for them to exit.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../shared/logger.js';

/** The environment variable that gives a worker its slot number (1…N). */
const WORKER_ID_VARIABLE = 'DRAWBRIDGE_GATEWAY_WORKER_ID';

type WorkerMessage = { type: 'drawbridge:worker-ready'; urls: string[] } | { type: 'drawbridge:worker-failed'; message: string };
const SHUTDOWN = 'drawbridge:worker-shutdown';

export interface WorkerPool {
  /** Base URLs the workers listen on (one per listener, as the first worker reported them). */
  urls: string[];
  /** Process ids of the workers alive now, by slot. */
  pids(): number[];
  close(): Promise<void>;
}

/** Whether this process is a gateway worker forked by `startWorkerPool`. */
export const isGatewayWorker = (): boolean => cluster.isWorker && process.env[WORKER_ID_VARIABLE] !== undefined;

/**
 * In the primary: forks `count` workers and resolves when all serve. Rejects
 * (after stopping the others) when a worker fails to start, with its message.
 */
export async function startWorkerPool(options: { count: number; logger: Logger; drainMs: number }): Promise<WorkerPool> {
  const { count, logger } = options;
  const slots = new Map<number, Worker>();
  let closing = false;
  let urls: string[] = [];

  // The kernel's shared accept queue instead of the primary's round robin: a connection is never handed to a worker
  // that died before the primary noticed (round robin loses it, nodejs/node#3551), and no IPC hop per connection.
  // Node's own NODE_CLUSTER_SCHED_POLICY=rr still chooses round robin.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
  const fork = (slot: number): Promise<void> => {
    const worker = cluster.fork({ [WORKER_ID_VARIABLE]: String(slot) });
    slots.set(slot, worker);
    return new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message?.type === 'drawbridge:worker-ready') {
          started = true;
          if (urls.length === 0) urls = message.urls;
          logger.info({ worker: slot, pid: worker.process.pid }, 'gateway worker serving');
          resolve();
        } else if (message?.type === 'drawbridge:worker-failed') {
          reject(new Error(message.message));
        }
      });
      worker.once('exit', (code, signal) => {
        if (slots.get(slot) === worker) slots.delete(slot);
        if (!started) return reject(new Error(`gateway worker ${slot} exited with ${signal ?? code} before serving`));
        if (closing) return;
        // Its connections are gone with it; the other workers keep serving while its slot is refilled.
        logger.warn({ worker: slot, pid: worker.process.pid, code, signal }, 'gateway worker died; starting another');
        fork(slot).catch((error: Error) => logger.error({ worker: slot, err: { message: error.message } }, 'gateway worker could not be restarted'));
      });
    });
  };

  const close = async (): Promise<void> => {
    closing = true;
    const alive = [...slots.values()];
    await Promise.all(
      alive.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            // A worker stuck past its drain time is killed: shutdown has a bound.
            const kill = setTimeout(() => worker.process.kill('SIGKILL'), options.drainMs + 10_000);
            worker.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (worker.isConnected()) worker.send(SHUTDOWN);
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  try {
    await Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1)));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    get urls() {
      return urls;
    },
    pids: () => [...slots.values()].map((w) => w.process.pid!),
    close,
  };
}

/**
 * In a worker: starts its gateways with `start`, reports to the primary, and
 * drains them when the primary asks, on SIGTERM/SIGINT, or when the primary is gone.
 */
export async function runGatewayWorker(start: (workerId: number) => Promise<{ urls: string[]; close(): Promise<void> }>, logger: Logger): Promise<void> {
  const workerId = Number(process.env[WORKER_ID_VARIABLE]);
  let running: { close(): Promise<void> } | undefined;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (running?.close() ?? Promise.resolve()).then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ worker: workerId, err: { message: error.message } }, 'gateway worker shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('message', (message) => {
    if (message === SHUTDOWN) stop();
  });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.once('disconnect', stop);
  try {
    const started = await start(workerId);
    running = started;
    process.send!({ type: 'drawbridge:worker-ready', urls: started.urls } satisfies WorkerMessage);
    if (stopping) stop();
  } catch (error) {
    process.send!({ type: 'drawbridge:worker-failed', message: (error as Error).message } satisfies WorkerMessage, () => process.exit(1));
  }
}
