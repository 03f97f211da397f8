import type { Redis } from 'ioredis';

/** Where cacheable upstream answers are kept: in memory (bounded), or Redis shared by instances. */
export interface HttpCache {
  /** The stored answer and how long it stays fresh, or undefined. */
  get(key: string): Promise<{ value: unknown; remainingMs: number } | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
}

/** The directives of a Cache-Control header that decide reuse. */
export interface CacheDirectives {
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  maxAge?: number;
  sMaxAge?: number;
}

/** Reads a Cache-Control header once; every freshness rule below derives from it. */
export function parseCacheControl(cacheControl: string | undefined): CacheDirectives {
  const directives: CacheDirectives = { noStore: false, noCache: false, private: false };
  if (!cacheControl) return directives;
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name = '', raw] = part.trim().split('=');
    const seconds = raw === undefined ? Number.NaN : Number(raw.replaceAll('"', ''));
    if (name === 'no-store') directives.noStore = true;
    else if (name === 'no-cache') directives.noCache = true;
    else if (name === 'private') directives.private = true;
    else if (name === 'max-age' && Number.isFinite(seconds)) directives.maxAge = seconds;
    else if (name === 's-maxage' && Number.isFinite(seconds)) directives.sMaxAge = seconds;
  }
  return directives;
}

/**
 * How long an upstream answer may be reused, from its headers (RFC 9111, as a shared cache):
 * `s-maxage` else `max-age`; never with `no-store`, `no-cache`, `private`, or a `Vary` other than
 * on content negotiation (the gateway's upstream requests differ per user in x-user-id).
 */
export function freshnessMs(directives: CacheDirectives, vary: string | undefined): number {
  if (directives.noStore || directives.noCache || directives.private) return 0;
  if (vary?.split(',').some((v) => !['accept', 'accept-encoding'].includes(v.trim().toLowerCase()))) return 0;
  return Math.max(0, (directives.sMaxAge ?? directives.maxAge ?? 0) * 1000);
}

/**
 * Freshness for a cache that serves one user only (the per-user response cache): `max-age`
 * (else `s-maxage`) counts even when the answer is `private`; `no-store` and `no-cache` still
 * forbid reuse.
 */
export function privateFreshnessMs(directives: CacheDirectives): number {
  if (directives.noStore || directives.noCache) return 0;
  return Math.max(0, (directives.maxAge ?? directives.sMaxAge ?? 0) * 1000);
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
      return { value: entry.value, remainingMs: entry.expires - now() };
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
        if (text === null) return undefined;
        const entry = JSON.parse(text) as { v: unknown; e: number };
        return { value: entry.v, remainingMs: Math.max(0, entry.e - Date.now()) };
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      try {
        const expires = Date.now() + ttlMs;
        await redis.set(
          prefix + key,
          JSON.stringify({ v: value, e: expires }),
          'PX',
          Math.max(1, Math.round(ttlMs)),
        );
      } catch {
        // a cache that cannot store is a cache that misses
      }
    },
  };
}
