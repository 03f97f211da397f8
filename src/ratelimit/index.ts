import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { createRedisClient, firstConnection } from '../stores/redis-client.js';
import type { RateLimitBackend } from './backend.js';
import { createFailoverBackend } from './failover.js';
import { createMemoryBackend } from './memory-backend.js';
import { createRedisBackend } from './redis-backend.js';

/** The backend `rateLimits.store` asks for: in memory, or Redis behind the fail-open/closed policy. */
export function createRateLimitBackend(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): RateLimitBackend {
  if (config.rateLimits.store !== 'redis' || !config.redis.url) return createMemoryBackend();
  // Decisions time out after 250 ms by their own, stall-tolerant deadline (redis-backend.ts);
  // ioredis's timeout only frees commands Redis never answers.
  const redis = createRedisClient(config.redis.url, logger, 2_000);
  const backend = createFailoverBackend(createRedisBackend(redis), {
    failOpen: config.rateLimits.failOpen,
    logger,
    onStoreFailure: () => metrics.rateLimitStoreFailures.inc(),
  });
  // Decisions wait for the first connection attempt's outcome (bounded), then never again.
  let starting: Promise<void> | undefined = firstConnection(redis).then(() => {
    starting = undefined;
  });
  return {
    async quota(key, limit, windowMs, dailyLimit, weight) {
      if (starting) await starting;
      return backend.quota(key, limit, windowMs, dailyLimit, weight);
    },
    async slidingLog(key, max, windowMs, count) {
      if (starting) await starting;
      return backend.slidingLog(key, max, windowMs, count);
    },
    async close() {
      redis.disconnect();
    },
  };
}
