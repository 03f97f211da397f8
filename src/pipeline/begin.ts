import type { onRequestAsyncHookHandler } from 'fastify';
import { createRequestStats } from '../observability/request-stats.js';
import { scopeOf, startRequestSpan, type Tracing } from '../observability/tracing.js';

/**
 * As the request arrives: its state, its stats (with the fan-out report when the caller
 * asks for it: the identity stage may still withhold it), its server span when tracing is on,
 * continuing a well-formed caller `traceparent`, and the abort signal its upstream calls obey.
 */
export function createBeginStage(tracing: Tracing | undefined): onRequestAsyncHookHandler {
  return async (request, reply) => {
    const abort = new AbortController();
    request.graphql = { stats: createRequestStats(request.headers['x-switchboard-trace'] === '1'), abort };
    // The caller went away before the answer (its connection closed): its upstream calls stop
    // now, and count against no service. Fastify's onRequestAbort misses a caller that leaves
    // after its body was read, which is when a request spends its time.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    if (tracing) {
      const span = startRequestSpan(tracing.tracer, request.method, request.id, request.headers.traceparent);
      request.graphql.trace = scopeOf(tracing.tracer, span);
    }
  };
}
