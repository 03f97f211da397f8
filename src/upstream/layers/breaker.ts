import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../../config/types.js';
import { ErrorCode } from '../../errors.js';
import { countsAgainstService, isUpstreamFailure, type UpstreamFailure, upstreamFailure } from '../errors.js';
import type { Layer } from '../exchange.js';

/** Runs attempts through one service's circuit breaker. */
export interface ServiceBreaker {
  run<T>(attempt: () => Promise<T>): Promise<T>;
  /** 0 closed, 1 half-open, 2 open (the metric's encoding). */
  state(): 0 | 1 | 2;
  shutdown(): void;
}

const buckets = 10;

// opossum opens when the failure rate is strictly above its threshold; the config promises "at
// least this share" (so 100 means "when everything fails", which `>` could never reach). Rates
// over a window of fewer than 10^5 calls differ by far more than this.
const atLeast = 1e-9;

/**
 * An opossum breaker per service, configured from `upstreams.<name>.breaker`. Timeouts are not
 * opossum's: each attempt already carries its own AbortSignal (one shared controller would
 * abort healthy in-flight calls: docs/resilience.md). Only the service's own failures count
 * (`countsAgainstService`): a 4xx, a request that could not be formed or a caller that went away
 * say nothing about the service's health.
 */
export function createServiceBreaker(
  service: string,
  config: BreakerConfig,
  onStateChange?: (state: 'open' | 'halfOpen' | 'close') => void,
): ServiceBreaker {
  // The rolling window is rotated by us rather than by opossum's own timer, so that closing can
  // start a fresh window (as Hystrix does). opossum keeps the failures from before it opened, and
  // counts every call it rejected while open as a "fire": after a busy open period the failure
  // rate was diluted so much that a relapsing service took hundreds of failures to reopen it.
  const rotation = new EventEmitter();
  const ticker = setInterval(
    () => rotation.emit('rotate'),
    Math.max(1, Math.floor(config.rollingWindowMs / buckets)),
  );
  ticker.unref();
  const breaker = new CircuitBreaker((attempt: () => Promise<unknown>) => attempt(), {
    timeout: false,
    errorThresholdPercentage: Math.max(0, config.errorThresholdPercent - atLeast),
    volumeThreshold: config.volumeThreshold,
    rollingCountTimeout: config.rollingWindowMs,
    rollingCountBuckets: buckets,
    rotateBucketController: rotation,
    // Neither is read here; both cost a timer or a sort per bucket for nothing.
    enableSnapshots: false,
    rollingPercentilesEnabled: false,
    resetTimeout: config.resetTimeoutMs,
    errorFilter: (error: unknown) => isUpstreamFailure(error) && !countsAgainstService(error.outcome),
  });
  breaker.on('close', () => {
    for (let i = 0; i < buckets; i++) rotation.emit('rotate');
  });
  if (onStateChange) {
    breaker.on('open', () => onStateChange('open'));
    breaker.on('halfOpen', () => onStateChange('halfOpen'));
    breaker.on('close', () => onStateChange('close'));
  }
  return {
    async run<T>(attempt: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(attempt)) as T;
      } catch (error) {
        if ((error as { code?: string }).code === 'EOPENBREAKER') throw openFailure(service);
        throw error;
      }
    },
    state: () => (breaker.opened ? 2 : breaker.halfOpen ? 1 : 0),
    shutdown: () => {
      clearInterval(ticker);
      breaker.shutdown();
    },
  };
}

function openFailure(service: string): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.UPSTREAM_UNAVAILABLE,
    `${service} is unavailable (circuit open)`,
    'circuit_open',
  );
}

/** The breaker as a layer: while open, no attempt goes further and the call fails at once. */
export function breakerLayer(breaker: ServiceBreaker): Layer {
  return (next) => (exchange) => breaker.run(() => next(exchange));
}
