import type { Logger } from 'pino';
import { ErrorCode, gatewayError } from '../errors.js';
import type { RateLimitBackend } from './backend.js';
import { createMemoryBackend } from './memory-backend.js';

export interface FailoverOptions {
  /** true: serve and count in memory while the store is down; false: answer 503. */
  failOpen: boolean;
  logger: Logger;
  /** Told on each decision the shared store could not make. */
  onStoreFailure?: () => void;
}

// One log line per this long at most: a Redis outage under load would otherwise flood the log.
const logEveryMs = 10_000;

/**
 * Wraps the shared store: when it fails (down, slow, refusing), either falls back to counting
 * in this process (fail-open, limits then hold per instance) or refuses with 503 (fail-closed).
 * Never waits for the store beyond its own command timeout.
 */
export function createFailoverBackend(primary: RateLimitBackend, options: FailoverOptions): RateLimitBackend {
  const fallback = createMemoryBackend();
  let lastLog = 0;
  const failed = (error: unknown) => {
    options.onStoreFailure?.();
    const now = Date.now();
    if (now - lastLog > logEveryMs) {
      lastLog = now;
      options.logger.warn(
        { err: error, failOpen: options.failOpen },
        options.failOpen
          ? 'rate-limit store unavailable: limiting in memory'
          : 'rate-limit store unavailable: refusing',
      );
    }
    if (!options.failOpen) {
      throw gatewayError(ErrorCode.SERVICE_UNAVAILABLE, 'Rate limiting is unavailable; retry shortly', {
        httpStatus: true,
      });
    }
  };
  return {
    async quota(key, limit, windowMs, dailyLimit, weight) {
      try {
        return await primary.quota(key, limit, windowMs, dailyLimit, weight);
      } catch (error) {
        failed(error);
        return fallback.quota(key, limit, windowMs, dailyLimit, weight);
      }
    },
    async slidingLog(key, max, windowMs, count) {
      try {
        return await primary.slidingLog(key, max, windowMs, count);
      } catch (error) {
        failed(error);
        return fallback.slidingLog(key, max, windowMs, count);
      }
    },
    close: () => primary.close(),
  };
}
