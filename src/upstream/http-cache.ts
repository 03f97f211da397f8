import type { Redis } from 'ioredis';

/** Where cacheable upstream answers are kept: in memory (bounded), or Redis shared by instances. */
export interface HttpCache {
  /** The stored answer and how long it stays fresh, or undefined. */
  get(key: string): Promise<{ value: unknown; remainingMs: number } | undefined>;
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

/**
 * Freshness for a cache that serves one user only (the per-user response cache): `max-age`
 * counts even when the answer is `private`; `no-store` and `no-cache` still forbid reuse.
 */
export function privateFreshnessMs(cacheControl: string | undefined): number {
  if (!cacheControl) return 0;
  let maxAge: number | undefined;
  for (const part of cacheControl.toLowerCase().split(',')) {
    const [name = '', raw] = part.trim().split('=');
    if (name === 'no-store' || name === 'no-cache') return 0;
    const seconds = raw === undefined ? Number.NaN : Number(raw.replaceAll('"', ''));
    if ((name === 'max-age' || (name === 's-maxage' && maxAge === undefined)) && Number.isFinite(seconds))
      maxAge = seconds;
  }
  return Math.max(0, (maxAge ?? 0) * 1000);
}

/** Whether an answer is meant for one user only (`Cache-Control: private`). */
export function isPrivate(cacheControl: string | undefined): boolean {
  return cacheControl !== undefined && /(^|,)\s*private\b/i.test(cacheControl);
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
