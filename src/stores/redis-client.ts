import { Redis } from 'ioredis';
import type { Logger } from 'pino';

const connectTimeoutMs = 1_000;

/**
 * An ioredis client that never makes a request wait on Redis: no offline queue (a command
 * while disconnected fails at once), one attempt per command, a short command timeout, and
 * reconnection in the background forever, so limits come back by themselves when Redis does.
 * `commandTimeoutMs` (default 250) is ioredis's own timeout; callers with a deadline of their
 * own (see `withinDeadline`) pass a longer one, as a backstop for commands never answered.
 */
export function createRedisClient(url: string, logger: Logger, commandTimeoutMs = 250): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: connectTimeoutMs,
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

/**
 * Settles once the client's first connection attempt has an outcome (ready, or failed), at
 * most the connect timeout after start. Without it the requests of the first milliseconds after
 * start-up, sent before the socket is ready, would all be refused (fail-closed) or counted in
 * this process alone (fail-open), since nothing is queued while disconnected.
 */
export function firstConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready' || redis.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done).off('error', done).off('close', done).off('end', done);
      resolve();
    };
    const timer = setTimeout(done, connectTimeoutMs);
    timer.unref();
    redis.once('ready', done).once('error', done).once('close', done).once('end', done);
  });
}

/**
 * `promise`, or a rejection once `ms` have passed, but only after the event loop has polled for
 * I/O once more. When this process rather than Redis was late (a long GC pause, a saturated
 * CPU), the answer is already in the socket's buffer when the timer fires, and it wins. A plain
 * timer (ioredis's commandTimeout included) fires in the timers phase, before that poll, and
 * would blame Redis: under load every instance would then fail open (limits per instance) or
 * closed (503 for everyone) exactly when limits matter most.
 */
export function withinDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      setImmediate(() => reject(new Error(`${what} took more than ${ms} ms`)));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
