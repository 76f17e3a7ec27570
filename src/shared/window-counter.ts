/**
 * Fixed-window counters: counts per key in windows aligned to the epoch
 * (`floor(now / windowMs)`), so every node agrees on where a window starts.
 * Used by the token endpoint's client-authentication throttle and meant for
 * rate limits. The in-memory one counts per node; the Redis one
 * (shared/redis/window-counter.ts) counts for the whole cluster.
 */

/** A count in the current window and how long until that window ends. */
export interface WindowCount {
  count: number;
  resetInMs: number;
}

export interface WindowCounter {
  /** Adds `by` (default 1) to `key` in the current window; resolves to the new count. The window's entry expires with it. */
  incr(key: string, windowMs: number, now: number, by?: number): Promise<WindowCount>;
  /** Adds one under each key; resolves to each key's count in the current window. */
  add(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]>;
  /** Each key's count in the current window, without changing anything. */
  get(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]>;
}

export const windowStart = (now: number, windowMs: number): number => Math.floor(now / windowMs) * windowMs;

/** Keys kept at most (random client IDs and addresses must not fill memory); expired windows go first. */
const MAX_KEYS = 100_000;

export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly maxKeys = MAX_KEYS) {}

  private current(key: string, windowMs: number, now: number): { start: number; count: number } | undefined {
    const w = this.windows.get(key);
    return w && w.start === windowStart(now, windowMs) ? w : undefined;
  }

  async incr(key: string, windowMs: number, now: number, by = 1): Promise<WindowCount> {
    return this.bump(key, windowMs, now, by);
  }

  async add(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]> {
    return keys.map((key) => this.bump(key, windowMs, now, 1));
  }

  async get(keys: readonly string[], windowMs: number, now: number): Promise<WindowCount[]> {
    const resetInMs = windowStart(now, windowMs) + windowMs - now;
    return keys.map((key) => ({ count: this.current(key, windowMs, now)?.count ?? 0, resetInMs }));
  }

  private bump(key: string, windowMs: number, now: number, by: number): WindowCount {
    const start = windowStart(now, windowMs);
    let w = this.current(key, windowMs, now);
    if (!w) {
      if (this.windows.size >= this.maxKeys) this.prune(start);
      this.windows.set(key, (w = { start, count: 0 }));
    }
    w.count += by;
    return { count: w.count, resetInMs: start + windowMs - now };
  }

  private prune(start: number): void {
    for (const [key, w] of this.windows) if (w.start < start) this.windows.delete(key);
    if (this.windows.size >= this.maxKeys) this.windows.clear();
  }
}
