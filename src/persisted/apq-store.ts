import {
  ErrorsAreMissesCache,
  InMemoryLRUCache,
  type KeyValueCache,
  PrefixingKeyValueCache,
} from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';
import { createRedisStore } from '../stores/redis-store.js';

/**
 * Where registered query texts live: Apollo's KeyValueCache family. In memory, Apollo's
 * InMemoryLRUCache bounded by the texts' size (a text may be as long as the body limit, so a
 * count alone would bound nothing); with Redis, shared by every instance so a hash registered
 * through one is known to all. A store failure is a miss, never an error: the client then sends
 * the text again.
 */
export function createApqStore(options: { maxBytes: number; redis?: Redis }): KeyValueCache<string> {
  const store = options.redis
    ? new ErrorsAreMissesCache(createRedisStore<string>(options.redis, 'switchboard:'))
    : new InMemoryLRUCache<string>({ maxSize: options.maxBytes });
  return new PrefixingKeyValueCache(store, 'apq:');
}
