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
import { stateOf } from './state.js';
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
  requestTimeoutMs: number;
  maxOperationsPerBatch: number;
  production: boolean;
  trackStale: boolean;
}

/** One generation's stages (a reload builds new ones; requests keep the ones they began with). */
export interface GraphQLStages {
  preHandler: preHandlerAsyncHookHandler[];
  handler: ReturnType<typeof createExecuteStage>;
  onSend: ReturnType<typeof createResponseHeadersStage>;
}

/**
 * The path of a GraphQL request after `begin`, in order: every stage a small hook over one shared
 * state (state.ts). A stage that answers (401, 429, 400, a cache hit) ends the path there.
 */
export function createGraphQLStages(deps: GraphQLRouteDeps): GraphQLStages {
  const { metrics, responseCache } = deps;
  return {
    preHandler: [
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
    onSend: createResponseHeadersStage(responseCache),
  };
}

/** Where a request gets its stages: the current generation, held until the request is over. */
export interface StageSource {
  tracing?: Tracing;
  /** Takes `accept: text/event-stream` requests (subscriptions over SSE) off the query path. */
  eventStreams?: preHandlerAsyncHookHandler;
  acquire(): { stages: GraphQLStages; release(): void };
}

/**
 * `/graphql`: `begin`, then the stages of the generation current when the request arrived. A
 * reload swaps generations between requests, never inside one: a request in flight finishes on
 * the stages (config, services, schemas) it began with.
 */
export function registerGraphQLRoute(app: FastifyInstance, source: StageSource): void {
  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    onRequest: [
      createBeginStage(source.tracing),
      async (request, reply) => {
        const lease = source.acquire();
        stateOf(request).stages = lease.stages;
        // 'close' comes once the answer is sent, or the caller went away: either way, done.
        reply.raw.once('close', lease.release);
      },
    ],
    preHandler: [
      ...(source.eventStreams ? [source.eventStreams] : []),
      async function stages(request, reply) {
        for (const stage of stateOf(request).stages!.preHandler) {
          await stage.call(this, request, reply);
          if (reply.sent) return reply;
        }
      },
    ],
    handler: (request, reply) => stateOf(request).stages!.handler(request, reply),
    // A request answered before its stages were leased (load shedding, a bad body) has none.
    onSend: async (request, reply, payload) => {
      const stages = request.graphql?.stages;
      return stages ? stages.onSend.call(app, request, reply, payload) : payload;
    },
  });
}
