import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import type { GatewayMetrics } from '../http/metrics.js';
import type { RateLimitBackend } from './backend.js';
import { createFailoverBackend } from './failover.js';
import { createMemoryBackend } from './memory-backend.js';
import { createRedisBackend } from './redis-backend.js';
import { createRedisClient } from './redis-client.js';

/** The backend `rateLimits.store` asks for: in memory, or Redis behind the fail-open/closed policy. */
export function createRateLimitBackend(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): RateLimitBackend {
  if (config.rateLimits.store !== 'redis' || !config.redis.url) return createMemoryBackend();
  const redis = createRedisClient(config.redis.url, logger);
  const backend = createFailoverBackend(createRedisBackend(redis), {
    failOpen: config.rateLimits.failOpen,
    logger,
    onStoreFailure: () => metrics.rateLimitStoreFailures.inc(),
  });
  return {
    quota: backend.quota,
    slidingLog: backend.slidingLog,
    async close() {
      redis.disconnect();
    },
  };
}
