import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/types.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { createMemoryStore } from '../stores/memory-store.js';
import { createRedisStore } from '../stores/redis-store.js';
import type { UpstreamStores } from '../upstream/client.js';
import type { StoredEntity } from '../upstream/layers/entity-cache.js';
import type { StoredAnswer } from '../upstream/layers/http-cache.js';
import type { StaleCopy } from '../upstream/layers/stale-if-error.js';
import type { CachedResponse } from './response-cache.js';

// A stored policy (http-cache-semantics' state: headers, request headers it varied on) costs
// about this much beside the body it describes.
const policyBytes = 600;

/**
 * Every cache the gateway keeps, each on Apollo's KeyValueCache: in Redis when `redis.url` is set
 * (shared by every instance, the same keys everywhere), else in memory, each bounded in bytes
 * and reported in the metrics. Absent when its config turns it off.
 */
export function createCacheStores(config: GatewayConfig, redis: Redis | undefined, metrics: GatewayMetrics) {
  function store<V extends {}>(
    name: string,
    maxBytes: number,
    sizeOf: (value: V) => number,
  ): KeyValueCache<V> {
    if (redis) return createRedisStore<V>(redis, `switchboard:${name}:`);
    const memory = createMemoryStore<V>({ maxBytes, sizeOf });
    metrics.watchStore(name, memory);
    return memory;
  }
  const { cache } = config;
  const staleUsed = Object.values(config.upstreams).some((u) => u.staleIfErrorSeconds > 0);
  const upstream: UpstreamStores = {};
  if (cache.upstream) {
    upstream.http = store<StoredAnswer[]>('http', cache.upstreamMaxBytes, (variants) =>
      variants.reduce((sum, v) => sum + v.bytes + policyBytes, 0),
    );
  }
  if (cache.entities) {
    upstream.entities = store<StoredEntity>('entities', cache.entityMaxBytes, (e) => e.bytes + 64);
  }
  if (staleUsed) {
    upstream.stale = store<StaleCopy[]>('stale', cache.upstreamMaxBytes, (copies) =>
      copies.reduce((sum, c) => sum + c.bytes + 64, 0),
    );
  }
  const responses = cache.responses
    ? store<CachedResponse | string>('responses', cache.responseMaxBytes, (e) =>
        typeof e === 'string' ? e.length : e.body.length + 64,
      )
    : undefined;
  return { upstream, responses };
}
