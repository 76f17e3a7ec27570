import { randomBytes } from 'node:crypto';

/**
 * Tests on a real Redis run when `DRAWBRIDGE_TEST_REDIS_URL` is set (CI starts
 * a throwaway one; locally e.g. `DRAWBRIDGE_TEST_REDIS_URL=redis://127.0.0.1:6379`),
 * and are skipped otherwise. Each test uses its own key prefix, so several
 * may share one Redis.
 */
const REDIS_URL_ENV = 'DRAWBRIDGE_TEST_REDIS_URL';

export const testRedisUrl = (env: Record<string, string | undefined> = process.env): string | undefined => env[REDIS_URL_ENV] || undefined;

/** A key prefix no other test uses. */
export const testRedisPrefix = (): string => `drawbridge-test-${randomBytes(6).toString('hex')}:`;

/** The Redis URL with another host and port (a TCP proxy in front of it). */
export function throughProxy(redisUrl: string, port: number): string {
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}
