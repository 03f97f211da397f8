import { dayMs, type LogDecision, type QuotaDecision, type RateLimitBackend } from './backend.js';

/** How many keys the in-memory backend tracks before it forgets the least recently used. */
const maxKeys = 100_000;

/** Counts in this process: exact for one instance, which is all it can see. */
export function createMemoryBackend(now = () => Date.now()): RateLimitBackend {
  const counters = new Map<string, { window: number; count: number }>();
  const logs = new Map<string, number[]>();

  // Map insertion order as LRU: re-inserting on use keeps active keys, evicts idle ones.
  const touch = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > maxKeys) map.delete(map.keys().next().value!);
  };
  const counterOf = (key: string, window: number) => {
    const entry = counters.get(key);
    return entry && entry.window === window ? entry.count : 0;
  };

  return {
    async quota(key, limit, windowMs, dailyLimit, weight = 1): Promise<QuotaDecision> {
      const at = now();
      const window = Math.floor(at / windowMs);
      const day = Math.floor(at / dayMs);
      let count = counterOf(`${key}:w`, window);
      let dailyCount = counterOf(`${key}:d`, day);
      const allowed = count + weight <= limit && (dailyLimit <= 0 || dailyCount + weight <= dailyLimit);
      if (allowed) {
        count += weight;
        touch(counters, `${key}:w`, { window, count });
        if (dailyLimit > 0) {
          dailyCount += weight;
          touch(counters, `${key}:d`, { window: day, count: dailyCount });
        }
      }
      return {
        allowed,
        count,
        resetMs: windowMs - (at % windowMs),
        dailyCount,
        dailyResetMs: dayMs - (at % dayMs),
      };
    },
    async slidingLog(key, max, windowMs, count = 1): Promise<LogDecision> {
      const at = now();
      const log = (logs.get(key) ?? []).filter((t) => t > at - windowMs);
      const earlier = log.length;
      const allowed = earlier + count <= max;
      if (allowed) for (let i = 0; i < count; i++) log.push(at);
      touch(logs, key, log);
      const retryAfterMs = allowed ? 0 : (log[0] ?? at) + windowMs - at;
      return { allowed, earlier, retryAfterMs };
    },
    async close() {},
  };
}
