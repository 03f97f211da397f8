import { isUpstreamFailure } from '../errors.js';
import type { Layer } from '../exchange.js';
import type { UpstreamCallEvent, UpstreamEvents } from '../types.js';

/**
 * Reports every attempt, whatever happens to it: to the service's events (metrics, the failure
 * log line) and to the request's observer (stats, fan-out report, a span whose id becomes the
 * service's `traceparent` parent). Sits just above the transport, so it sees real attempts only.
 */
export function observeLayer(events: UpstreamEvents): Layer {
  return (next) => async (exchange) => {
    const { service, request, ctx, retry } = exchange;
    const replica = exchange.replica?.index ?? 0;
    const batchSize = batchSizeOf(request);
    const watch = ctx.observer?.attempt?.({ service, replica, request, retry, batchSize });
    if (watch?.traceparent) exchange.headers = { ...exchange.headers, traceparent: watch.traceparent };
    const started = performance.now();
    const event: UpstreamCallEvent = {
      service,
      replica,
      method: request.method,
      path: request.route ?? request.path,
      status: 0,
      outcome: 'ok',
      durationMs: 0,
      retry,
      requestId: ctx.requestId,
    };
    if (batchSize !== undefined) event.batchSize = batchSize;
    try {
      const answer = await next(exchange);
      event.status = answer.status;
      event.durationMs = performance.now() - started;
      events.call?.(event);
      watch?.end(event);
      return answer;
    } catch (error) {
      if (isUpstreamFailure(error)) {
        event.outcome = error.outcome;
        event.status = error.upstreamStatus;
      } else event.outcome = 'internal';
      event.durationMs = performance.now() - started;
      events.call?.(event);
      watch?.end(event, error);
      throw error;
    }
  };
}

/** The number of ids a batch look-up asks for: its `entities` parameter, else `ids`/`userIds`. */
export function batchSizeOf(request: {
  query?: Record<string, string>;
  batchSize?: number;
  entities?: { param: string };
}): number | undefined {
  if (request.batchSize !== undefined) return request.batchSize;
  const query = request.query;
  const list = request.entities ? query?.[request.entities.param] : (query?.ids ?? query?.userIds);
  return list === undefined ? undefined : list.split(',').length;
}
