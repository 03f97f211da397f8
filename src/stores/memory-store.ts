import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import { LRUCache } from 'lru-cache';

/** A key-value store that knows its own size, for its metrics. */
export interface SizedStore<V> extends KeyValueCache<V> {
  /** What it holds now: bytes as its `sizeOf` counts them, and entries. */
  size(): { bytes: number; entries: number };
  readonly maxBytes: number;
}

export interface MemoryStoreOptions<V> {
  /** The bound: least recently used entries leave beyond it. */
  maxBytes: number;
  /** The bytes an entry costs (its serialized size, or a close estimate known when it was made). */
  sizeOf(value: V, key: string): number;
}

/**
 * Apollo's KeyValueCache over lru-cache, bounded in bytes (values vary in size by orders of
 * magnitude: a count of entries bounds nothing). Not Apollo's InMemoryLRUCache: that one
 * measures objects by stringifying them on every set and cannot report its size. `ttl` is in
 * seconds, as the interface says; one entry may take at most a tenth of the store, so a single
 * huge answer never flushes everything else.
 */
export function createMemoryStore<V extends {}>(options: MemoryStoreOptions<V>): SizedStore<V> {
  const maxEntrySize = Math.max(1, Math.floor(options.maxBytes / 10));
  const lru = new LRUCache<string, V>({
    maxSize: options.maxBytes,
    // Read the clock on each look-up rather than caching it behind a timer per millisecond.
    ttlResolution: 0,
    maxEntrySize,
    // A key is stored too: hostile keys (a 64 KB query text) must count.
    sizeCalculation: (value, key) => Math.max(1, options.sizeOf(value, key) + key.length),
  });
  return {
    maxBytes: options.maxBytes,
    async get(key) {
      return lru.get(key);
    },
    async set(key, value, setOptions?: KeyValueCacheSetOptions) {
      const ttl = setOptions?.ttl;
      lru.set(key, value, ttl ? { ttl: ttl * 1000 } : undefined);
    },
    async delete(key) {
      return lru.delete(key);
    },
    size: () => ({ bytes: lru.calculatedSize, entries: lru.size }),
  };
}
