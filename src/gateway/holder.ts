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
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
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

/**
 * The current snapshot, swapped by reference: a request reads `current` once
 * when it starts and keeps that object, so in-flight requests finish on the
 * snapshot they began with. Disk writes are serialized; the newest wins.
 */
export class SnapshotHolder {
  current: HeldSnapshot | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string | undefined, private readonly logger: Logger) {}

  swap(compiled: CompiledSnapshot, origin: SnapshotOrigin, loadedAt: string): Promise<void> {
    this.current = { compiled, origin, loadedAt };
    if (origin === 'disk' || !this.file) return Promise.resolve();
    const file = this.file;
    const text = JSON.stringify(compiled.raw);
    this.writing = this.writing.then(() => writeFileAtomic(file, text)).catch((error: Error) => {
      this.logger.error({ err: { message: error.message }, file }, 'could not save the gateway snapshot to disk');
    });
    return this.writing;
  }

  /** Resolves when pending disk writes are done. */
  flushed(): Promise<void> {
    return this.writing;
  }
}
