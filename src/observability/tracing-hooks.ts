import { SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { saneTraceparent } from '../upstream/headers.js';
import { scopeOf, startRequestSpan, type TraceScope, type Tracing } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and where its children go (GraphQL routes, tracing on only). */
    trace?: TraceScope;
  }
}

/**
 * A server span per GraphQL request, from the moment it arrives (identity, quotas and limits
 * included) to the last byte of the answer, continuing the caller's `traceparent` when it is
 * well-formed. Registered only when tracing is on.
 */
export function registerRequestTracing(app: FastifyInstance, tracing: Tracing): void {
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url !== '/graphql' || request.method === 'OPTIONS') return;
    const traceparent = saneTraceparent(request.headers.traceparent);
    request.trace = scopeOf(
      tracing.tracer,
      startRequestSpan(tracing.tracer, request.method, request.id, traceparent),
    );
  });
  app.addHook('onResponse', async (request, reply) => endRequestSpan(request, reply));
  // The caller went away before the answer: `onResponse` will not run.
  app.addHook('onRequestAbort', async (request) => {
    const span = request.trace?.span;
    if (!span?.isRecording()) return;
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    span.end();
  });
}

function endRequestSpan(request: FastifyRequest, reply: FastifyReply): void {
  const span = request.trace?.span;
  // Not sampled (nothing to record), or already ended by an abort.
  if (!span?.isRecording()) return;
  const stats = request.stats;
  // Only an operation Apollo resolved has a name; a request refused before (401, 429, limits)
  // keeps `POST /graphql`.
  if (stats?.operationType) {
    const name = stats.operationName ?? 'anonymous';
    span.updateName(`graphql ${name}`);
    span.setAttribute('graphql.operation.type', stats.operationType);
    if (stats.operationName) span.setAttribute('graphql.operation.name', stats.operationName);
  }
  span.setAttribute('http.response.status_code', reply.statusCode);
  if (request.identity) span.setAttribute('switchboard.client', request.identity.clientName);
  if (stats) span.setAttribute('switchboard.upstream_calls', stats.upstreamCalls);
  // A partial answer (HTTP 200 with errors) is an error too: that is what an operator looks for.
  if (stats && stats.errorCodes.length > 0) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: stats.errorCodes.join(', ') });
  } else if (reply.statusCode >= 500) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${reply.statusCode}` });
  }
  span.end();
}
