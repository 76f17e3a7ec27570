import type { Clock } from '../shared/clock.js';
import { sha256 } from '../shared/crypto.js';
import type { RedisLink } from '../shared/redis/link.js';
import { LoginThrottle, type ThrottledAttempt } from './auth.js';

export type ThrottleDecision = { attempt: ThrottledAttempt } | { retryAfterMs: number };

/** What the sign-in and change-password routes run password checks under. */
export interface SignInThrottle {
  begin(keys: string[]): ThrottleDecision | Promise<ThrottleDecision>;
}

const FORGET_AFTER_MS = 60 * 60 * 1000;
const MAX_LOCK_MS = 15 * 60 * 1000;

/**
 * Per key (a hash): `f` failures, `l` the last attempt (ms). An attempt is
 * reserved by counting it as a failure at once, so guesses sent in parallel
 * to several nodes are limited like guesses sent one after the other; a
 * success deletes the keys, an attempt that ends in an error gives its count back.
 * Same rule as LoginThrottle: `free` failures, then a lock doubling from 1 s up to 15 min.
 */
const BEGIN = `
local now, free, maxLock, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local wait = 0
local counts = {}
for i, key in ipairs(KEYS) do
  local f = tonumber(redis.call('HGET', key, 'f') or '0')
  local l = tonumber(redis.call('HGET', key, 'l') or '0')
  if now - l > forget then f = 0 end
  counts[i] = f
  local over = f - free
  if over > 0 then
    local lock = math.min(maxLock, 1000 * 2 ^ (over - 1))
    wait = math.max(wait, l + lock - now)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'f', counts[i] + 1, 'l', now)
  redis.call('PEXPIRE', key, forget)
end
return 0
`;

const RELEASE = `
for _, key in ipairs(KEYS) do
  local f = tonumber(redis.call('HGET', key, 'f') or '0')
  if f > 0 then redis.call('HSET', key, 'f', f - 1) end
end
return 0
`;

/**
 * The sign-in throttle for a cluster: failures counted in Redis, so a guess
 * counts on every node. This node's own LoginThrottle counts every attempt
 * too and decides alone whenever Redis does not answer (down, slow): a
 * sign-in is never refused or failed because Redis is away.
 */
export class SharedLoginThrottle implements SignInThrottle {
  readonly local: LoginThrottle;

  constructor(
    private readonly link: RedisLink,
    private readonly clock: Clock,
    private readonly freeFailures = 5,
  ) {
    this.local = new LoginThrottle(clock, freeFailures);
  }

  async begin(keys: string[]): Promise<ThrottleDecision> {
    const local = this.local.begin(keys);
    if ('retryAfterMs' in local || !this.link.available) return local;
    // Account names are personal data: Redis sees their hashes only.
    const redisKeys = keys.map((k) => this.link.key(`sign-in:${sha256(k.toLowerCase())}`));
    let wait: number;
    try {
      wait = Number(await this.link.run((r) => r.eval(BEGIN, redisKeys.length, ...redisKeys, this.clock.now(), this.freeFailures, MAX_LOCK_MS, FORGET_AFTER_MS)));
    } catch {
      return local;
    }
    if (wait > 0) {
      local.attempt.release();
      return { retryAfterMs: wait };
    }
    const shared = (command: Parameters<RedisLink['run']>[0]) => {
      this.link.run(command).catch(() => {
        /* the local throttle has it */
      });
    };
    let settled = false;
    return {
      attempt: {
        fail: () => {
          settled = true;
          local.attempt.fail(); // already counted in Redis when reserved
        },
        succeed: () => {
          settled = true;
          local.attempt.succeed();
          shared((r) => r.del(...redisKeys));
        },
        release: () => {
          // Only an attempt not yet settled gives its reservation back.
          if (settled) return;
          settled = true;
          local.attempt.release();
          shared((r) => r.eval(RELEASE, redisKeys.length, ...redisKeys));
        },
      },
    };
  }
}
