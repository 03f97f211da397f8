import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import { answerFromCache, registerResponseCaching } from '../cache/http-hooks.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { SchemaVariants } from '../clients/variants.js';
import type { GatewayConfig } from '../config/types.js';
import { httpStatusOf } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import { createDegradedTracker } from '../graphql/degraded.js';
import { rejectionBody } from '../limits/gate.js';
import { createLoaders } from '../loaders/index.js';
import { registerRequestObservability } from '../observability/http-hooks.js';
import { createRequestStats } from '../observability/request-stats.js';
import type { Tracing } from '../observability/tracing.js';
import { registerRequestTracing } from '../observability/tracing-hooks.js';
import type { PersistedOperations } from '../persisted/persisted-operations.js';
import type { TierLimiter, TierVerdict } from '../ratelimit/tiers.js';
import type { UpstreamClient } from '../upstream/client.js';
import { saneTraceparent } from '../upstream/headers.js';
import type { CallContext } from '../upstream/types.js';
import { registerCors } from './cors.js';
import { registerDrain } from './drain.js';
import { errorBody, handleHttpError, rateLimitedBody } from './error-handler.js';
import { createEndpoint, type Endpoint, usesStaleIfError } from './graphql-endpoint.js';
import { type Readiness, registerHealthRoutes } from './health.js';
import { registerLoadShedding } from './load-shedding.js';
import type { GatewayMetrics } from './metrics.js';
import { requestIdOf } from './request-id.js';

export interface HttpServerDeps {
  config: GatewayConfig;
  /** The base schema and each client's: a request is served its client's (src/clients/). */
  variants: SchemaVariants;
  authenticator: Authenticator;
  upstream: UpstreamClient;
  tiers: TierLimiter;
  /** Whole-operation answers (cache.responses); absent when off. */
  responseCache?: ResponseCache;
  metrics: GatewayMetrics;
  logger: Logger;
  readiness: Readiness;
  /** APQ and trusted documents: a pre-handler step and Apollo's `persistedQueries`. */
  persisted: PersistedOperations;
  /** Absent when tracing is off: then no tracing hook is registered at all. */
  tracing?: Tracing;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the /graphql pre-handler once the caller's credentials were checked. */
    identity?: Identity;
    /** The schema variant serving this request, chosen by its client (set with `identity`). */
    endpoint?: Endpoint;
  }
}

/** Builds the Fastify app: health, metrics, and GraphQL at /graphql. Call `ready()`/`listen()` after. */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const { config, metrics, logger } = deps;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: config.server.bodyLimitBytes,
    http: {
      maxHeaderSize: config.server.maxHeaderBytes,
      // Node enforces headersTimeout and requestTimeout only when it sweeps its connections,
      // every 30 s by default, and reads the interval only when the server is created: without
      // this a 500 ms headers timeout would let a slowloris client hold its socket for 30 s.
      connectionsCheckingInterval: connectionsCheckingInterval(config.server.headersTimeoutMs),
    },
    // request.ip is the socket's address unless the peer is a configured proxy.
    trustProxy: config.server.trustedProxies.length > 0 ? config.server.trustedProxies : false,
    // The whole request must arrive within this: a slow client cannot hold a socket forever.
    requestTimeout: Math.max(30_000, config.server.headersTimeoutMs + 1_000),
    keepAliveTimeout: config.server.keepAliveTimeoutMs,
    // Once close() begins, no new connection is accepted. A request still arriving on an open
    // keep-alive connection is answered by its route (so /ready says 503 and every answer keeps
    // its x-request-id), not by Fastify's bare hook-less 503; Node closes that connection after
    // the answer, and registerDrain closes those whose request was in flight, so the drain ends.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  // Slowloris guards Fastify has no option for: headers must arrive in time, connections are capped.
  app.server.headersTimeout = config.server.headersTimeoutMs;
  app.server.maxConnections = config.server.maxConnections;
  app.server.maxHeadersCount = config.server.maxHeadersCount;
  // First of all hooks: CORS preflights and shed requests are answered from their own onRequest
  // hooks, which end the chain, and they too must carry x-request-id.
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  await registerCors(app, config.server.cors);
  await registerLoadShedding(app, config.server.maxEventLoopDelayMs, metrics);

  app.setErrorHandler(handleHttpError);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('NOT_FOUND', 'Not found')));
  registerDrain(app);
  registerRequestObservability(app, metrics);
  if (deps.tracing) registerRequestTracing(app, deps.tracing);
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  registerHealthRoutes(app, deps.readiness);
  app.get('/metrics', async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  const { authenticator, upstream, tiers } = deps;
  const requestTimeoutMs = config.server.requestTimeoutMs;
  const staleIfError = usesStaleIfError(deps);
  const contextOf = async (request: FastifyRequest): Promise<GraphQLContext> => {
    const identity = request.identity!;
    const call: CallContext = {
      requestId: request.id,
      clientName: identity.clientName,
      traceparent: saneTraceparent(request.headers.traceparent),
      userId: identity.userId,
      userRole: identity.role,
      deadline: performance.now() + requestTimeoutMs,
      stats: request.stats,
      trace: request.trace,
    };
    const context: GraphQLContext = {
      identity,
      clientIp: request.ip,
      call,
      upstream,
      loaders: createLoaders(upstream, call),
    };
    if (deps.responseCache) context.responseCache = deps.responseCache;
    if (staleIfError) {
      context.degraded = createDegradedTracker();
      call.onStale = context.degraded.markStale;
    }
    return context;
  };

  registerResponseCaching(app, deps.responseCache);
  // One Apollo server, operation gate and cache policy table per distinct schema, built now: a
  // request only picks one, so validation, execution and introspection see only its client's.
  const endpoints = new Map<GraphQLSchema, Endpoint>();
  for (const { schema, client } of [deps.variants.base, ...deps.variants.clients.values()]) {
    if (endpoints.has(schema)) continue;
    const endpoint = await createEndpoint(schema, deps, contextOf, client);
    endpoints.set(schema, endpoint);
    // Not Apollo's Fastify drain plugin: it closes Fastify from inside apollo.stop(), which
    // deadlocks when Fastify's own close runs apollo.stop(). Fastify drains; then Apollo stops.
    app.addHook('onClose', async () => endpoint.apollo.stop());
  }
  const endpointFor = (clientName: string): Endpoint =>
    endpoints.get(deps.variants.select(clientName).schema)!;
  const baseEndpoint = endpoints.get(deps.variants.base.schema)!;

  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    // Credentials are checked before Apollo sees the request: an invalid token rejects the
    // whole request with 401, whatever the operation asks for.
    preHandler: async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      try {
        request.identity = await authenticator.authenticate(request.headers);
        request.endpoint = endpointFor(request.identity.clientName);
        // A browser opening a variant's sandbox cannot send headers: `?client=` picks the page,
        // which then sends apollographql-client-name itself. Like the header, it only selects.
        const page = request.method === 'GET' ? (request.query as Record<string, unknown>) : undefined;
        if (page && page.query === undefined && typeof page.client === 'string') {
          request.endpoint = endpointFor(page.client);
        }
        request.stats = createRequestStats(wantsFanout(request, request.identity, config.production));
      } catch (error) {
        const gql = error as { message?: string; extensions?: { code?: string } };
        if (gql.extensions?.code !== 'UNAUTHENTICATED') throw error;
        metrics.rejections.inc({ reason: 'authentication' });
        return reply
          .code(401)
          .type('application/json')
          .send(JSON.stringify(errorBody('UNAUTHENTICATED', gql.message ?? 'Unauthenticated')));
      }
      // Tier quotas: every answer carries the RateLimit headers; over the quota is a 429.
      let verdict: TierVerdict;
      try {
        verdict = await tiers.check(request.identity, request.ip);
      } catch (error) {
        // failOpen: false and the shared store is down: refuse rather than serve unlimited.
        if ((error as GraphQLError).extensions?.code !== 'SERVICE_UNAVAILABLE') throw error;
        return reply
          .code(503)
          .header('retry-after', '1')
          .type('application/json')
          .send(JSON.stringify(errorBody('SERVICE_UNAVAILABLE', (error as GraphQLError).message)));
      }
      void reply.headers(verdict.headers);
      if (verdict.retryAfterSeconds !== undefined) {
        metrics.rejections.inc({ reason: 'rate_limit' });
        return reply
          .code(429)
          .header('retry-after', String(verdict.retryAfterSeconds))
          .type('application/json')
          .send(JSON.stringify(rateLimitedBody(verdict.message!, verdict.retryAfterSeconds)));
      }
      // Trusted documents and APQ hashes first: `enforce` refuses what the caller's manifest lacks.
      const refusal = deps.persisted.check(request);
      if (refusal) {
        return reply
          .code(httpStatusOf[refusal.code])
          .type('application/json')
          .send(JSON.stringify(errorBody(refusal.code, refusal.message)));
      }
      // Operation limits before Apollo parses, validates or runs anything: a rejected
      // operation costs one bounded parse and zero upstream calls.
      const endpoint = request.endpoint!;
      const rejection = endpoint.gate.check(request.method === 'GET' ? request.query : request.body);
      if (rejection) {
        metrics.rejections.inc({ reason: rejection.limit });
        return reply
          .code(400)
          .type('application/json')
          .send(JSON.stringify(rejectionBody(rejection)));
      }
      // A fresh cached answer of the same operation (PUBLIC, or this user's PRIVATE one).
      if (await answerFromCache(request, reply, endpoint.caching)) return reply;
    },
    handler: async function (request, reply) {
      // OPTIONS (CORS preflights are answered earlier) and anything the pre-handler let through.
      const endpoint = request.endpoint ?? baseEndpoint;
      return endpoint.handler.call(this, request, reply);
    },
  });
  return app;
}

/**
 * The fan-out report is for frontend developers: on request (`x-switchboard-trace: 1`) outside
 * production, and for admins in production (it names services and paths).
 */
function wantsFanout(request: FastifyRequest, identity: Identity, production: boolean): boolean {
  if (request.headers['x-switchboard-trace'] !== '1') return false;
  return !production || (identity.userId !== undefined && identity.role === 'ADMIN');
}

/** A tenth of the headers timeout (100 ms to 30 s): slow clients are cut within ~110% of it. */
function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(30_000, Math.max(100, Math.round(headersTimeoutMs / 10)));
}
