import type { Redis } from 'ioredis';

/** Where cacheable upstream answers are kept: in memory (bounded), or Redis shared by instances. */
export interface HttpCache {
  get(key: string): Promise<unknown | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
}

/**
 * How long an upstream answer may be reused, from its headers (RFC 9111, as a shared cache):
 * `s-maxage` else `max-age`; never with `no-store`, `no-cache`, `private`, or a `Vary` other than
 * on content negotiation (the gateway's upstream requests differ per user in x-user-id).
 */
export function freshnessMs(cacheControl: string | undefined, vary: string | undefined): number {
  if (!cacheControl) return 0;
  if (vary?.split(',').some((v) => !['accept', 'accept-encoding'].includes(v.trim().toLowerCase()))) return 0;
  let maxAge: number | undefined;
  let sharedMaxAge: number | undefined;
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name = '', raw] = part.trim().split('=');
    if (name === 'no-store' || name === 'no-cache' || name === 'private') return 0;
    const seconds = raw === undefined ? Number.NaN : Number(raw.replaceAll('"', ''));
    if (name === 'max-age' && Number.isFinite(seconds)) maxAge = seconds;
    if (name === 's-maxage' && Number.isFinite(seconds)) sharedMaxAge = seconds;
  }
  return Math.max(0, (sharedMaxAge ?? maxAge ?? 0) * 1000);
}

/** An LRU (Map insertion order) of parsed answers with their expiry. */
export function createMemoryHttpCache(maxEntries: number, now = () => Date.now()): HttpCache {
  const entries = new Map<string, { value: unknown; expires: number }>();
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    async set(key, value, ttlMs) {
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlMs });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}

/**
 * Answers in Redis as JSON, expiring with their freshness, shared by every gateway instance.
 * A Redis failure is a miss, never an error: the cache only ever saves calls.
 */
export function createRedisHttpCache(redis: Redis, prefix = 'switchboard:hc:'): HttpCache {
  return {
    async get(key) {
      try {
        const text = await redis.get(prefix + key);
        return text === null ? undefined : JSON.parse(text);
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      try {
        await redis.set(prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs)));
      } catch {
        // a cache that cannot store is a cache that misses
      }
    },
  };
}
