import { HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLContext } from '../context/graphql-context.js';
import { createLoaders } from '../loaders/index.js';
import { createCallObserver } from '../observability/call-observer.js';
import { createDegradedTracker } from '../observability/degraded.js';
import { saneTraceparent } from '../observability/trace-context.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { type RequestState, sentPayload, stateOf } from './state.js';

export interface ExecuteOptions {
  upstream: UpstreamClient;
  /** Deadline of the whole request: every upstream attempt gets at most what remains of it. */
  requestTimeoutMs: number;
  /** Some service has `staleIfErrorSeconds`: stale records are tracked for `extensions.degraded`. */
  trackStale: boolean;
  /** Told after a mutation succeeded (the response cache drops the user's entries). */
  onMutation?: (userId: string) => Promise<void>;
}

/**
 * Run the operations on the variant's Apollo server, with a GraphQL context built from
 * the state: identity, the upstream calls' headers, deadline and abort signal, per-request
 * loaders, and the observer that feeds stats, spans and the degraded report. Apollo finds each
 * document already parsed and validated (the analyze stage's).
 */
export function createExecuteStage(options: ExecuteOptions) {
  return async function execute(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const state = stateOf(request);
    const context = contextOf(request, state, options);
    const response = await state.endpoint!.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: httpRequestOf(request, state),
      context: async () => context,
    });
    for (const [name, value] of response.headers) void reply.header(name, value);
    void reply.code(response.status ?? 200);
    if (response.body.kind === 'complete') return response.body.string;
    // Incremental delivery (@defer) streams its parts.
    const parts: string[] = [];
    for await (const part of response.body.asyncIterator) parts.push(part);
    return parts.join('');
  };
}

function contextOf(request: FastifyRequest, state: RequestState, options: ExecuteOptions): GraphQLContext {
  const identity = state.identity!;
  const degraded = options.trackStale ? createDegradedTracker() : undefined;
  const call: CallContext = {
    requestId: request.id,
    clientName: identity.clientName,
    traceparent: saneTraceparent(request.headers.traceparent),
    userId: identity.userId,
    userRole: identity.role,
    deadline: state.stats.startedAt + options.requestTimeoutMs,
    signal: state.abort.signal,
    observer: createCallObserver({ stats: state.stats, trace: state.trace, degraded }),
  };
  const context: GraphQLContext = {
    identity,
    clientIp: request.ip,
    call,
    upstream: options.upstream,
    loaders: createLoaders(options.upstream, call),
    stats: state.stats,
  };
  if (state.analysis) context.executionHints = state.analysis.measure;
  if (state.rateLimitReservations) context.rateLimitReservations = state.rateLimitReservations;
  if (degraded) context.degraded = degraded;
  if (options.onMutation) context.onMutation = options.onMutation;
  return context;
}

/**
 * The request as Apollo reads it, with the operations the persisted stage resolved: a POST's
 * body, or a GET's query string rebuilt from them (Apollo reads a GET from its URL).
 */
function httpRequestOf(request: FastifyRequest, state: RequestState): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const method = request.method.toUpperCase();
  if (method !== 'GET') return { method, headers, search: '', body: request.body };
  const params = new URLSearchParams();
  const operation = state.operations?.[0] ?? (sentPayload(request) as Record<string, unknown>);
  for (const [name, value] of Object.entries(operation)) {
    if (value === undefined) continue;
    params.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return { method, headers, search: `?${params}`, body: undefined };
}
