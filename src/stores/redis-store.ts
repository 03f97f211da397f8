import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';

/**
 * Apollo's KeyValueCache in Redis, shared by every gateway instance: values as JSON, `ttl` in
 * seconds as Redis `PX` (sub-second precision kept). Every failure is a miss or a no-op, never
 * an error: these stores only ever save work (Apollo's ErrorsAreMissesCache covers reads only).
 */
export function createRedisStore<V>(redis: Redis, prefix: string): KeyValueCache<V> {
  return {
    async get(key) {
      try {
        const text = await redis.get(prefix + key);
        return text === null ? undefined : (JSON.parse(text) as V);
      } catch {
        return undefined;
      }
    },
    async set(key, value, options?: KeyValueCacheSetOptions) {
      try {
        const text = JSON.stringify(value);
        if (options?.ttl)
          await redis.set(prefix + key, text, 'PX', Math.max(1, Math.round(options.ttl * 1000)));
        else await redis.set(prefix + key, text);
      } catch {
        // not stored: the next look-up misses
      }
    },
    async delete(key) {
      try {
        return (await redis.del(prefix + key)) > 0;
      } catch {
        return false;
      }
    },
  };
}
