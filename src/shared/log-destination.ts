import { closeSync, openSync, write, writeSync } from 'node:fs';

export interface BufferedDestinationOptions {
  /** Bytes (UTF-16 units, close enough for JSON lines) gathered before one asynchronous write (default 16 KiB). */
  minLength?: number;
  /** Longest time a line waits in memory when traffic is low (default 250 ms). */
  maxDelayMs?: number;
  /**
   * Most UTF-16 units kept while the destination is slower than the lines
   * come (default 8 MiB); lines past it are dropped and counted, and a
   * warning line with the count is written once the destination catches up.
   */
  maxPending?: number;
}

/**
 * A pino destination for high-volume lines (the gateway's access log): lines
 * are kept as strings in an array and written with one asynchronous
 * `fs.write` per batch. pino's own asynchronous destination (sonic-boom)
 * measures the whole pending string with `Buffer.byteLength` on every line,
 * which costs more than building the line. Whatever is pending is written
 * synchronously by `flushSync()`, `end()` and at process exit, so a clean
 * shutdown (SIGTERM → close → exit) loses nothing.
 */
export class BufferedDestination {
  private parts: string[] = [];
  private pending = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private dropped = 0;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly minLength: number;
  private readonly maxDelayMs: number;
  private readonly maxPending: number;
  private readonly onExit = () => this.flushSync();

  /** `target`: a file descriptor (1 = stdout) or a path opened for appending. */
  constructor(target: number | string, options: BufferedDestinationOptions = {}) {
    this.ownsFd = typeof target === 'string';
    this.fd = typeof target === 'string' ? openSync(target, 'a') : target;
    this.minLength = options.minLength ?? 16 * 1024;
    this.maxDelayMs = options.maxDelayMs ?? 250;
    this.maxPending = options.maxPending ?? 8 * 1024 * 1024;
    process.on('exit', this.onExit);
  }

  write(line: string): boolean {
    if (this.closed) return false;
    // A stalled stdout (a full pipe, a slow disk) must cost bounded memory, never the process.
    if (this.pending + line.length > this.maxPending) {
      this.dropped++;
      return true;
    }
    this.parts.push(line);
    this.pending += line.length;
    if (this.writing) return true;
    if (this.pending >= this.minLength) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.flush();
      }, this.maxDelayMs);
      this.timer.unref();
    }
    return true;
  }

  private take(): Buffer | undefined {
    if (this.dropped > 0) {
      this.parts.push(`{"level":40,"time":${Date.now()},"dropped":${this.dropped},"msg":"log lines dropped: the log destination could not keep up"}\n`);
      this.dropped = 0;
    }
    if (this.parts.length === 0) return undefined;
    const data = Buffer.from(this.parts.length === 1 ? this.parts[0]! : this.parts.join(''));
    this.parts = [];
    this.pending = 0;
    return data;
  }

  private flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const data = this.take();
    if (data) this.writeOut(data, 0);
  }

  private writeOut(data: Buffer, offset: number): void {
    this.writing = true;
    write(this.fd, data, offset, data.length - offset, null, (error, written) => {
      if (error && (error as NodeJS.ErrnoException).code === 'EAGAIN') {
        setTimeout(() => this.writeOut(data, offset), 5).unref();
        return;
      }
      // Another write error (the disk, a closed pipe) drops this batch: logging must never take the gateway down.
      if (!error && offset + written < data.length) return this.writeOut(data, offset + written);
      this.writing = false;
      if (this.closed) {
        if (this.ownsFd) closeSync(this.fd);
        return;
      }
      if (this.pending >= this.minLength) this.flush();
      else if (this.pending > 0 && this.timer === undefined) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          if (!this.writing) this.flush();
        }, this.maxDelayMs);
        this.timer.unref();
      }
    });
  }

  /** Writes every pending line now (a batch already handed to `fs.write` completes on its own). */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const data = this.take();
    if (!data) return;
    let offset = 0;
    let attempts = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++attempts > 1000) return;
      }
    }
  }

  /** Flushes and stops accepting lines; closes the file when this destination opened it. */
  end(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    process.off('exit', this.onExit);
    if (this.ownsFd && !this.writing) closeSync(this.fd);
  }
}
