import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { CompiledSnapshot } from './compile.js';
import type { GatewaySnapshot } from './snapshot.js';

export type SnapshotOrigin = 'live' | 'disk';

export interface HeldSnapshot {
  compiled: CompiledSnapshot;
  origin: SnapshotOrigin;
  loadedAt: string;
}

export const snapshotFile = (dataDir: string, environment: string): string => join(dataDir, 'gateway', `${environment}.snapshot.json`);

/** Writes the file next to its final name and renames it: a reader never sees half a snapshot. */
async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content, typeof content === 'string' ? 'utf8' : undefined);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function readSnapshotFile(file: string): Promise<GatewaySnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return JSON.parse(text) as GatewaySnapshot;
}

/** Each API's JSON (UTF-8) by the snapshot object it was made from: the control plane hands unchanged APIs over as the same objects. */
const apiJson = new WeakMap<object, Buffer>();
const COMMA = Buffer.from(',');

/** The snapshot as JSON (UTF-8); a snapshot that changed one API serializes that API only. */
function snapshotJson(raw: GatewaySnapshot): Buffer {
  const { apis, ...rest } = raw;
  const head = JSON.stringify(rest);
  const parts: Buffer[] = [Buffer.from(`${head.slice(0, -1)}${head === '{}' ? '' : ','}"apis":[`)];
  apis.forEach((api: unknown, i) => {
    // An entry that is not an object (the compiler leaves it out, the disk copy keeps it as it came) cannot key the cache.
    const cacheable = typeof api === 'object' && api !== null;
    let json = cacheable ? apiJson.get(api) : undefined;
    if (json === undefined) {
      json = Buffer.from(JSON.stringify(api));
      if (cacheable) apiJson.set(api, json);
    }
    if (i > 0) parts.push(COMMA);
    parts.push(json);
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

/** How long after a swap its disk write starts (ms). */
const WRITE_DELAY_MS = 50;

/**
 * The current snapshot, swapped by reference: a request reads `current` once
 * when it starts and keeps that object, so in-flight requests finish on the
 * snapshot they began with. Disk writes are serialized and made after the
 * swap (serializing a large snapshot must not delay serving it); snapshots
 * swapped while a write runs are written once, the newest.
 */
export class SnapshotHolder {
  current: HeldSnapshot | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The write not started yet, and the snapshot it will write (the newest swapped). */
  private queued: { done: Promise<void>; raw: GatewaySnapshot } | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** Swaps `compiled` in at once; resolves when it (or a newer one) is on disk. */
  swap(compiled: CompiledSnapshot, origin: SnapshotOrigin, loadedAt: string): Promise<void> {
    this.current = { compiled, origin, loadedAt };
    if (origin === 'disk' || !this.file) return Promise.resolve();
    if (this.queued) {
      this.queued.raw = compiled.raw;
      return this.queued.done;
    }
    const file = this.file;
    const queued = { raw: compiled.raw, done: Promise.resolve() };
    // A short wait first: a burst of swaps is written once, and serializing a large snapshot runs after the requests the swap let through.
    queued.done = this.writing
      .then(() => new Promise((resolve) => setTimeout(resolve, WRITE_DELAY_MS)))
      .then(async () => {
        if (this.queued === queued) this.queued = undefined;
        await writeFileAtomic(file, snapshotJson(queued.raw));
      })
      .catch((error: Error) => {
        this.logger.error({ err: { message: error.message }, file }, 'could not save the gateway snapshot to disk');
      });
    this.queued = queued;
    this.writing = queued.done;
    return queued.done;
  }

  /** Resolves when pending disk writes are done. */
  flushed(): Promise<void> {
    return this.writing;
  }
}
