import type { FastifyRequest } from 'fastify';
import type { Identity } from '../auth/identity.js';
import type { ResponseKeyParts } from '../cache/response-cache.js';
import type { Endpoint } from '../graphql/endpoint.js';
import type { RequestStats } from '../observability/request-stats.js';
import type { TraceScope } from '../observability/tracing.js';
import type { OperationAnalysis } from '../operation/analyzer.js';
import type { CachePolicy } from '../operation/measure.js';
import type { Operation } from '../persisted/persisted-operations.js';
import type { GraphQLStages } from './index.js';

/**
 * The one per-request state the /graphql stages share, filled in request order. A stage reads
 * only what earlier stages wrote; nothing here outlives the request.
 */
export interface RequestState {
  stats: RequestStats;
  /** Present when the request is traced. */
  trace?: TraceScope;
  /** Aborted when the caller goes away before the answer: its upstream calls stop. */
  abort: AbortController;
  /** The stages of the config generation the request began on (index.ts). */
  stages?: GraphQLStages;
  /** identity stage: who calls. */
  identity?: Identity;
  /** variant stage: the schema variant (and its analyzer and Apollo server) serving the caller. */
  endpoint?: Endpoint;
  /** persisted stage: the operations as sent (a batch is several), each with its text resolved. */
  operations?: Operation[];
  batch?: boolean;
  /** analyze stage: the analysis of a single operation (batches are only checked). */
  analysis?: OperationAnalysis;
  /** analyze stage: how long and for whom the answer may be reused, by the schema's hints. */
  cachePolicy?: CachePolicy;
  /** mutation-limits stage: `@rateLimit` calls already counted, by `Type.field`. */
  rateLimitReservations?: Map<string, number>;
  /** response-cache stage: where a cacheable answer is stored once it is known. */
  cacheSlot?: ResponseKeyParts;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for /graphql requests by the first stage. */
    graphql?: RequestState;
  }
}

/** The state of a /graphql request (the first stage created it). */
export function stateOf(request: FastifyRequest): RequestState {
  return request.graphql!;
}

/** What the caller sent as its GraphQL request: the query string of a GET, else the JSON body. */
export function sentPayload(request: FastifyRequest): unknown {
  return request.method === 'GET' ? { ...(request.query as Record<string, unknown>) } : request.body;
}
