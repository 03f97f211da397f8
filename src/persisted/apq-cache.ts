import type { PersistedQueryOptions } from '@apollo/server';
import type { Redis } from 'ioredis';

/** Apollo's key-value cache interface, as its `persistedQueries.cache` option takes it. */
export type ApqCache = NonNullable<PersistedQueryOptions['cache']>;

/**
 * Registered query texts in memory: least recently used first out, bounded by the UTF-8 size of
 * keys and texts together (a text may be as long as the body limit, so a count alone would not
 * bound the memory), each kept for its `ttl` (seconds) when Apollo passes one.
 */
export function createMemoryApqCache(maxBytes: number, now = () => Date.now()): ApqCache {
  const entries = new Map<string, { text: string; bytes: number; expires: number }>();
  let totalBytes = 0;
  const drop = (key: string): boolean => {
    const entry = entries.get(key);
    if (!entry) return false;
    entries.delete(key);
    totalBytes -= entry.bytes;
    return true;
  };
  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires <= now()) {
        drop(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.text;
    },
    async set(key, text, options) {
      drop(key);
      const bytes = Buffer.byteLength(key) + Buffer.byteLength(text);
      if (bytes > maxBytes) return;
      while (totalBytes + bytes > maxBytes) drop(entries.keys().next().value!);
      const ttl = options?.ttl;
      entries.set(key, { text, bytes, expires: ttl ? now() + ttl * 1000 : Number.POSITIVE_INFINITY });
      totalBytes += bytes;
    },
    async delete(key) {
      return drop(key);
    },
  };
}

/**
 * Registered query texts in Redis, shared by every gateway instance: a hash registered through
 * one instance is known to all. A Redis failure is a miss (the client then sends the text again),
 * never an error: APQ only ever saves bytes.
 */
export function createRedisApqCache(redis: Redis, prefix = 'switchboard:'): ApqCache {
  return {
    async get(key) {
      try {
        return (await redis.get(prefix + key)) ?? undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, text, options) {
      try {
        if (options?.ttl) await redis.set(prefix + key, text, 'EX', options.ttl);
        else await redis.set(prefix + key, text);
      } catch {
        // not stored: the next hash-only request misses and the client registers again
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
