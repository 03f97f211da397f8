/** The last good answer of idempotent calls, for serving while a service fails (stale-if-error). */
export interface StaleCache {
  set(key: string, value: unknown): void;
  /** The value and its age, when one younger than the service's window is stored. */
  get(key: string): { value: unknown; ageSeconds: number } | undefined;
}

/**
 * A bounded LRU (Map insertion order) of answers kept `maxAgeSeconds`. Entries are per exact
 * request (path + query), so a stale answer is never served for a different question.
 */
export function createStaleCache(
  maxAgeSeconds: number,
  maxEntries = 10_000,
  now = () => Date.now(),
): StaleCache {
  const entries = new Map<string, { value: unknown; storedAt: number }>();
  return {
    set(key, value) {
      entries.delete(key);
      entries.set(key, { value, storedAt: now() });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      const ageSeconds = Math.floor((now() - entry.storedAt) / 1000);
      if (ageSeconds >= maxAgeSeconds) {
        entries.delete(key);
        return undefined;
      }
      return { value: entry.value, ageSeconds };
    },
  };
}
