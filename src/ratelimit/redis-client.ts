import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * An ioredis client that never makes a request wait on Redis: no offline queue (a command
 * while disconnected fails at once), one attempt per command, a short command timeout, and
 * reconnection in the background forever, so limits come back by themselves when Redis does.
 */
export function createRedisClient(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 250,
    connectTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
  });
  let reported = false;
  redis.on('error', (error) => {
    // ioredis emits an error per failed reconnect; one line per outage is enough.
    if (!reported) logger.warn({ err: error }, 'redis connection error');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info('redis connection restored');
    reported = false;
  });
  return redis;
}
