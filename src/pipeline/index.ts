import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Endpoint } from '../graphql/endpoint.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { PersistedOperations } from '../persisted/persisted-operations.js';
import type { TierLimiter } from '../ratelimit/tiers.js';
import type { UpstreamClient } from '../upstream/client.js';
import { createAnalyzeStage } from './analyze.js';
import { createBeginStage } from './begin.js';
import { createExecuteStage } from './execute.js';
import { createIdentityStage } from './identity.js';
import { createMutationLimitsStage } from './mutation-limits.js';
import { createPersistedStage } from './persisted.js';
import { createResponseCacheStage } from './response-cache.js';
import { createResponseHeadersStage } from './response-headers.js';
import { createTierQuotaStage } from './tier-quota.js';
import { createVariantStage } from './variant.js';

export interface GraphQLRouteDeps {
  authenticator: Authenticator;
  endpointFor(client: string): Endpoint;
  tiers: TierLimiter;
  persisted: PersistedOperations;
  /** Absent when `cache.responses` is off. */
  responseCache?: ResponseCache;
  upstream: UpstreamClient;
  metrics: GatewayMetrics;
  tracing?: Tracing;
  requestTimeoutMs: number;
  maxOperationsPerBatch: number;
  production: boolean;
  trackStale: boolean;
  /** Takes `accept: text/event-stream` requests (subscriptions over SSE) off the query path. */
  eventStreams?: preHandlerAsyncHookHandler;
}

/**
 * The path of a GraphQL request, in order: every stage a small hook over one shared state
 * (state.ts). A stage that answers (401, 429, 400, a cache hit) ends the path there.
 */
export function registerGraphQLRoute(app: FastifyInstance, deps: GraphQLRouteDeps): void {
  const { metrics, responseCache } = deps;
  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    onRequest: [createBeginStage(deps.tracing)],
    preHandler: [
      ...(deps.eventStreams ? [deps.eventStreams] : []),
      createIdentityStage(deps.authenticator, metrics, deps.production),
      createVariantStage(deps.endpointFor),
      createTierQuotaStage(deps.tiers, metrics),
      createPersistedStage(deps.persisted),
      createAnalyzeStage(metrics, deps.maxOperationsPerBatch),
      createMutationLimitsStage(metrics),
      ...(responseCache ? [createResponseCacheStage(responseCache, metrics)] : []),
    ],
    handler: createExecuteStage({
      upstream: deps.upstream,
      requestTimeoutMs: deps.requestTimeoutMs,
      trackStale: deps.trackStale,
      onMutation: responseCache && ((userId) => responseCache.invalidateUser(userId)),
    }),
    onSend: [createResponseHeadersStage(responseCache)],
  });
}
