import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/types.js';

/** The client application a valid API key stands for. */
export interface ApiKeyClient {
  client: string;
  tier: string;
  /** A stable, non-reversible name for the key (hash prefix): quotas count per key. */
  id: string;
}

/** Looks up presented API keys without keeping the configured keys in memory. */
export interface ApiKeyRegistry {
  /** The key's client and tier, or undefined for an unknown key. */
  lookup(presented: string): ApiKeyClient | undefined;
}

interface StoredKey extends ApiKeyClient {
  hash: Buffer;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Builds the registry from the configured keys, which the config loader checked: at least 16
 * characters each, and no key twice (two clients sharing a key could not be told apart).
 */
export function createApiKeyRegistry(keys: ApiKeyConfig[]): ApiKeyRegistry {
  const stored: StoredKey[] = keys.map(({ key, client, tier }) => {
    const hash = sha256(key);
    return { hash, client, tier, id: hash.toString('hex').slice(0, 16) };
  });

  return {
    lookup(presented) {
      // Hashing first gives every comparison the same 32-byte length whatever was presented, so
      // timingSafeEqual applies and the time taken says nothing about how much of a key matched.
      // Every stored key is compared (no early exit), so the time says nothing about which one.
      const hash = sha256(presented);
      let match: StoredKey | undefined;
      for (const entry of stored) {
        if (timingSafeEqual(entry.hash, hash)) match = entry;
      }
      return match ? { client: match.client, tier: match.tier, id: match.id } : undefined;
    },
  };
}
