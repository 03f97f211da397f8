import { SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Ends each traced GraphQL request's server span (started by the pipeline's first stage, so it
 * covers identity, quotas and limits) at the last byte of the answer, or when the caller leaves.
 */
export function registerRequestTracing(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => endRequestSpan(request, reply));
  // The caller went away before the answer: `onResponse` will not run.
  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      const span = request.graphql?.trace?.span;
      if (reply.raw.writableFinished || !span?.isRecording()) return;
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
      span.end();
    });
  });
}

function endRequestSpan(request: FastifyRequest, reply: FastifyReply): void {
  const state = request.graphql;
  const span = state?.trace?.span;
  // Not sampled (nothing to record), or already ended by an abort.
  if (!state || !span?.isRecording()) return;
  const stats = state.stats;
  // Only an operation Apollo resolved has a name; a request refused before (401, 429, limits)
  // keeps `POST /graphql`.
  if (stats.operationType) {
    const name = stats.operationName ?? 'anonymous';
    span.updateName(`graphql ${name}`);
    span.setAttribute('graphql.operation.type', stats.operationType);
    if (stats.operationName) span.setAttribute('graphql.operation.name', stats.operationName);
  }
  span.setAttribute('http.response.status_code', reply.statusCode);
  if (state.identity) span.setAttribute('switchboard.client', state.identity.clientName);
  span.setAttribute('switchboard.upstream_calls', stats.upstreamCalls);
  // A partial answer (HTTP 200 with errors) is an error too: that is what an operator looks for.
  if (stats.errorCodes.length > 0) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: stats.errorCodes.join(', ') });
  } else if (reply.statusCode >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.statusCode}` });
  }
  span.end();
}
