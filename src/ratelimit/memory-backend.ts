import { LRUCache } from 'lru-cache';
import { dayMs, type LogDecision, type QuotaDecision, type RateLimitBackend } from './backend.js';

/** How many keys the in-memory backend tracks before it forgets the least recently used. */
const maxKeys = 100_000;

/** Counts in this process: exact for one instance, which is all it can see. */
export function createMemoryBackend(now = () => Date.now()): RateLimitBackend {
  // Least recently used keys leave first: active callers are kept, idle ones forgotten.
  const counters = new LRUCache<string, { window: number; count: number }>({ max: maxKeys });
  const logs = new LRUCache<string, number[]>({ max: maxKeys });

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
        counters.set(`${key}:w`, { window, count });
        if (dailyLimit > 0) {
          dailyCount += weight;
          counters.set(`${key}:d`, { window: day, count: dailyCount });
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
      logs.set(key, log);
      const retryAfterMs = allowed ? 0 : (log[0] ?? at) + windowMs - at;
      return { allowed, earlier, retryAfterMs };
    },
    async close() {},
  };
}
