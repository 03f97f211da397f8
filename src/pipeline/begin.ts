import type { onRequestAsyncHookHandler } from 'fastify';
import { createRequestStats } from '../observability/request-stats.js';
import { scopeOf, startRequestSpan, type Tracing } from '../observability/tracing.js';

/**
 * As the request arrives: its state, its stats (with the fan-out report when the caller
 * asks for it: the identity stage may still withhold it), its server span when tracing is on,
 * continuing a well-formed caller `traceparent`, and the abort signal its upstream calls obey.
 */
export function createBeginStage(tracing: Tracing | undefined): onRequestAsyncHookHandler {
  return async (request) => {
    request.graphql = {
      stats: createRequestStats(request.headers['x-switchboard-trace'] === '1'),
      abort: new AbortController(),
    };
    if (tracing) {
      const span = startRequestSpan(tracing.tracer, request.method, request.id, request.headers.traceparent);
      request.graphql.trace = scopeOf(tracing.tracer, span);
    }
  };
}
