import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A cached GraphQL answer: its body, and what its Cache-Control said when stored. */
export interface CachedResponse {
  body: string;
  scope: 'PUBLIC' | 'PRIVATE';
  /** Seconds since it was stored, and the max-age it was stored with. */
  ageSeconds: number;
  maxAge: number;
}

/**
 * Whole-operation answers, PUBLIC ones shared by all callers of a client, PRIVATE ones per user.
 * Per-user entries carry the user's version in their key: a mutation bumps the version, so all
 * of that user's cached answers are unreachable at once (no index of keys to maintain).
 */
export interface ResponseCache {
  get(key: string, userId: string | undefined): Promise<CachedResponse | undefined>;
  set(key: string, userId: string | undefined, entry: Omit<CachedResponse, 'ageSeconds'>): Promise<void>;
  invalidateUser(userId: string): Promise<void>;
}

/** The cache key of an operation for a client: same text, name and variables, same answer. */
export function responseKey(
  client: string,
  query: string,
  operationName: unknown,
  variables: unknown,
): string {
  return createHash('sha256')
    .update(`${client}\n${typeof operationName === 'string' ? operationName : ''}\n${query}\n`)
    .update(typeof variables === 'string' ? variables : JSON.stringify(variables ?? null))
    .digest('base64url');
}

/** In memory, bounded by total body size (LRU by Map insertion order). */
export function createMemoryResponseCache(maxBytes: number, now = () => Date.now()): ResponseCache {
  const entries = new Map<string, { entry: Omit<CachedResponse, 'ageSeconds'>; storedAt: number }>();
  const versions = new Map<string, number>();
  let bytes = 0;
  const fullKey = (key: string, userId?: string) =>
    userId ? `${key}:u:${userId}:${versions.get(userId) ?? 0}` : key;
  const drop = (key: string) => {
    const old = entries.get(key);
    if (!old) return;
    entries.delete(key);
    bytes -= old.entry.body.length;
  };
  return {
    async get(key, userId) {
      const k = fullKey(key, userId);
      const found = entries.get(k);
      if (!found) return undefined;
      const ageSeconds = Math.floor((now() - found.storedAt) / 1000);
      if (ageSeconds >= found.entry.maxAge) {
        drop(k);
        return undefined;
      }
      entries.delete(k);
      entries.set(k, found);
      return { ...found.entry, ageSeconds };
    },
    async set(key, userId, entry) {
      if (entry.body.length > maxBytes / 10) return; // one answer may not evict a tenth of the cache
      const k = fullKey(key, userId);
      drop(k);
      entries.set(k, { entry, storedAt: now() });
      bytes += entry.body.length;
      while (bytes > maxBytes) drop(entries.keys().next().value!);
    },
    async invalidateUser(userId) {
      versions.set(userId, (versions.get(userId) ?? 0) + 1);
    },
  };
}

/** In Redis, shared by every instance; a Redis failure is a miss, never an error. */
export function createRedisResponseCache(redis: Redis, prefix = 'switchboard:rc:'): ResponseCache {
  const fullKey = async (key: string, userId?: string) =>
    userId
      ? `${prefix}e:${key}:u:${userId}:${(await redis.get(`${prefix}v:${userId}`)) ?? 0}`
      : `${prefix}e:${key}`;
  return {
    async get(key, userId) {
      try {
        const text = await redis.get(await fullKey(key, userId));
        if (text === null) return undefined;
        const stored = JSON.parse(text) as Omit<CachedResponse, 'ageSeconds'> & { storedAt: number };
        const ageSeconds = Math.max(0, Math.floor((Date.now() - stored.storedAt) / 1000));
        return { body: stored.body, scope: stored.scope, maxAge: stored.maxAge, ageSeconds };
      } catch {
        return undefined;
      }
    },
    async set(key, userId, entry) {
      try {
        const value = JSON.stringify({ ...entry, storedAt: Date.now() });
        await redis.set(await fullKey(key, userId), value, 'EX', entry.maxAge);
      } catch {
        // a cache that cannot store is a cache that misses
      }
    },
    async invalidateUser(userId) {
      try {
        // Versions outlive the entries they guard by far; a day bounds the key's life.
        await redis.multi().incr(`${prefix}v:${userId}`).expire(`${prefix}v:${userId}`, 86_400).exec();
      } catch {
        // If Redis is down, entries cannot be read either.
      }
    },
  };
}
