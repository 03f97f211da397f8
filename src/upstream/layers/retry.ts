import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryable, type UpstreamFailure } from '../errors.js';
import { discardBody, type Exchange, type Layer } from '../exchange.js';
import type { RetryBudget } from '../retry-budget.js';

export interface RetryOptions {
  /** Extra attempts after the first (`upstreams.<name>.retries`). */
  retries: number;
  budget: RetryBudget;
  onRetry?: () => void;
  /** Which failures are worth another attempt (default: the service or the network failed). */
  retryable?: (failure: UpstreamFailure) => boolean;
}

// Backoff before retry n (0-based): ~25 ms, ~50 ms…, ±50% jitter so retries don't synchronise.
const backoffBaseMs = 25;

/**
 * Only idempotent calls are sent again: reads, and calls marked so (a POST that timed out may
 * have been applied). A streamed body is consumed by the first attempt: there is nothing to resend.
 */
const idempotent = ({ request }: Exchange) =>
  request.upload === undefined &&
  (request.idempotent ?? (request.method === 'GET' || request.method === 'HEAD'));

/**
 * Budgeted retries, each a new exchange: the layers below pick another replica (`avoid`), arm a
 * new deadline and pass the breaker again. Not undici's retry interceptor: that one retries the
 * same origin, knows neither our budget nor the request's deadline, and cannot move to another
 * replica. A retry happens only when the failure is the service's (isRetryable), the budget
 * allows it, and the request's deadline leaves room for it.
 */
export function retryLayer(options: RetryOptions): Layer {
  const worthRetrying = options.retryable ?? isRetryable;
  return (next) => async (first) => {
    const maxRetries = idempotent(first) ? options.retries : 0;
    options.budget.recordCall();
    let exchange = first;
    let lastFailure: UpstreamFailure | undefined;
    for (let retry = 0; ; retry++) {
      try {
        return await next(exchange);
      } catch (error) {
        const failure = error as UpstreamFailure;
        // A retry that finds the breaker open (often opened by the very failure it retries) made
        // no call: the caller learns what the service actually did, not "circuit open".
        if (failure.outcome === 'circuit_open' && lastFailure) throw lastFailure;
        lastFailure = failure;
        const delay = backoffBaseMs * 2 ** retry * (0.5 + Math.random());
        const retryable =
          retry < maxRetries &&
          worthRetrying(failure) &&
          !first.ctx.signal?.aborted &&
          // Only when the retry could still finish: at least one more delay of time left.
          first.ctx.deadline - performance.now() > delay * 2 &&
          options.budget.tryAcquire();
        if (!retryable) throw failure;
        options.onRetry?.();
        // A passed-through answer of the failed attempt is not passed on: its body is let go.
        discardBody(failure.answer?.body);
        await sleep(delay);
        exchange = { ...first, retry: retry + 1, avoid: exchange.replica, replica: undefined };
      }
    }
  };
}
