import CircuitBreaker from 'opossum';
import type { BreakerConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { isUpstreamFailure, type UpstreamFailure, upstreamFailure } from './errors.js';

/** Runs attempts through one service's circuit breaker. */
export interface ServiceBreaker {
  run<T>(attempt: () => Promise<T>): Promise<T>;
  /** 0 closed, 1 half-open, 2 open (the metric's encoding). */
  state(): 0 | 1 | 2;
  shutdown(): void;
}

/**
 * An opossum breaker per service, configured from `upstreams.<name>.breaker`. Timeouts are not
 * opossum's: each attempt already carries its own AbortSignal (one shared controller would
 * abort healthy in-flight calls, see STACK-NOTES). 4xx answers are the caller's problem, not the
 * service's, so they do not count as failures.
 */
export function createServiceBreaker(
  service: string,
  config: BreakerConfig,
  onStateChange?: (state: 'open' | 'halfOpen' | 'close') => void,
): ServiceBreaker {
  const breaker = new CircuitBreaker((attempt: () => Promise<unknown>) => attempt(), {
    timeout: false,
    errorThresholdPercentage: config.errorThresholdPercent,
    volumeThreshold: config.volumeThreshold,
    rollingCountTimeout: config.rollingWindowMs,
    rollingCountBuckets: 10,
    resetTimeout: config.resetTimeoutMs,
    errorFilter: (error: unknown) => isUpstreamFailure(error) && error.outcome === 'client_error',
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
    shutdown: () => breaker.shutdown(),
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
