import { ErrorCode } from '../../errors.js';
import { type UpstreamFailure, upstreamFailure } from '../errors.js';
import type { Layer } from '../exchange.js';

/**
 * Each attempt gets the smaller of its timeout and what remains of the request, as an
 * AbortSignal the transport obeys to the millisecond (undici's own timers tick on a ~500 ms
 * wheel). The caller going away aborts the attempt too. An attempt with no time left is never
 * made: nothing is asked of the service, so nothing may count against it (this layer sits above
 * the breaker for that reason).
 */
export function deadlineLayer(timeoutMs: number): Layer {
  return (next) => async (exchange) => {
    const { ctx, request } = exchange;
    const budgetMs = Math.min(request.timeoutMs ?? timeoutMs, Math.floor(ctx.deadline - performance.now()));
    if (budgetMs <= 0) throw outOfTime(exchange.service);
    // Not AbortSignal.timeout: its timer stays armed after a successful attempt and fires later
    // anyway, building a DOMException and dispatching an abort event nobody needs (~2.5% of CPU
    // under load). This one is cleared as soon as the attempt is over.
    const controller = new AbortController();
    const timer = setTimeout(abortOnTimeout, budgetMs, controller);
    timer.unref();
    const callerSignal = ctx.signal;
    const onCallerGone = () => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerGone, { once: true });
    if (callerSignal?.aborted) onCallerGone();
    // Each attempt has an exchange of its own (the retry layer makes them), so it is filled in place.
    exchange.signal = controller.signal;
    exchange.budgetMs = budgetMs;
    try {
      return await next(exchange);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerGone);
    }
  };
}

/** Aborts like AbortSignal.timeout does, so the attempt maps to UPSTREAM_TIMEOUT. */
function abortOnTimeout(controller: AbortController): void {
  controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

/** The request's deadline passed before an attempt could start. */
function outOfTime(service: string): UpstreamFailure {
  return upstreamFailure(service, ErrorCode.UPSTREAM_TIMEOUT, `${service} did not answer in time`, 'timeout');
}
