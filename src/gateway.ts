import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth/authenticate.js';
import { createResponseCache } from './cache/response-cache.js';
import { createCacheStores } from './cache/stores.js';
import { buildVariants, composeVariants } from './clients/variants.js';
import type { GatewayConfig } from './config/types.js';
import { createEndpoint, type Endpoint } from './graphql/endpoint.js';
import type { Engine } from './graphql/executor.js';
import { createSchema } from './graphql/schema.js';
import type { Readiness } from './http/health.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './logger.js';
import { createMetrics, type GatewayMetrics } from './metrics/metrics.js';
import { createTracing } from './observability/tracing.js';
import { createApqStore } from './persisted/apq-store.js';
import { createPersistedOperations } from './persisted/persisted-operations.js';
import { loadTrustedDocuments } from './persisted/trusted-documents.js';
import { registerGraphQLRoute } from './pipeline/index.js';
import { createRateLimitBackend } from './ratelimit/index.js';
import { createTierLimiter } from './ratelimit/tiers.js';
import { createRouteSet, registerRoutes } from './routes/index.js';
import { createRedisClient } from './stores/redis-client.js';
import { registerSubscriptions } from './subscriptions/index.js';
import { createUpstreamClient } from './upstream/client.js';
import { transports } from './upstream/transport/index.js';

/** A running-or-ready gateway: the composition root of every part. */
export interface Gateway {
  app: FastifyInstance;
  metrics: GatewayMetrics;
  readiness: Readiness;
  /** Listens on the configured host and port (port 0 picks a free one); resolves with the base URL. */
  listen(): Promise<string>;
  /** Stops taking traffic (`/ready` 503), lets in-flight requests finish, closes pools. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** Where spans go instead of OTLP when `tracing.enabled` (tests: an InMemorySpanExporter). */
  tracingExporter?: SpanExporter;
  /** The execution engine (default graphql-jit; tests compare both). */
  engine?: Engine;
}

/** Builds the gateway from a validated config. Nothing listens until `listen()`. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  // First: a bad manifest or client schema stops the start-up before anything opens a socket or a timer.
  const trusted = await loadTrustedDocuments(config.trustedDocuments);
  const isDeclared = (service: string) => service in config.upstreams;
  const composed = await composeVariants(config.clients.dir, isDeclared);
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = createMetrics();
  const readiness: Readiness = { ready: false };
  const authenticator = createAuthenticator(config.auth);
  const cacheRedis =
    config.redis.url && (config.cache.upstream || config.cache.responses || config.persistedQueries.apq)
      ? // Caches answer from Redis in well under a millisecond; a stalled Redis must cost a miss,
        // not a quarter second per lookup.
        createRedisClient(config.redis.url, logger, 50)
      : undefined;
  const stores = createCacheStores(config, cacheRedis, metrics);
  const upstream = createUpstreamClient(config.upstreams, {
    transports,
    stores: stores.upstream,
    events: {
      ...metrics.upstreamEvents,
      call(event) {
        metrics.upstreamEvents.call(event);
        if (event.outcome === 'ok') return;
        // One line per failed attempt; addresses stay out (replica is an index), as do bodies
        // and query strings (a path may carry an argument's value only through `@rest`).
        logger[event.outcome === 'client_error' ? 'info' : 'warn'](
          {
            reqId: event.requestId,
            service: event.service,
            replica: event.replica,
            method: event.method,
            path: event.path,
            status: event.status,
            outcome: event.outcome,
            retry: event.retry,
            durationMs: Math.round(event.durationMs * 10) / 10,
          },
          'upstream call failed',
        );
      },
    },
  });
  const tracing = createTracing(config.tracing, {
    exporter: options.tracingExporter,
    onExportError: (error) => logger.warn({ err: error }, 'trace export failed'),
  });
  const rateLimits = createRateLimitBackend(config, logger, metrics);
  const tiers = createTierLimiter(config.rateLimits, rateLimits);
  const trackStale = Object.values(config.upstreams).some((u) => u.staleIfErrorSeconds > 0);
  const variants = buildVariants(composed, (typeDefs) =>
    createSchema(rateLimits, {
      typeDefs,
      isDeclared,
      trackStale,
      onRateLimited: () => metrics.rejections.inc({ reason: 'field_rate_limit' }),
    }),
  );
  for (const warning of variants.warnings) logger.warn(warning);
  if (variants.clients.size > 0)
    logger.info({ clients: [...variants.clients.keys()] }, 'client schemas loaded');
  if (config.trustedDocuments.mode !== 'off') {
    const { mode } = config.trustedDocuments;
    logger.info({ mode, documents: trusted.counts }, 'trusted documents loaded');
  }
  const persisted = createPersistedOperations({
    persistedQueries: config.persistedQueries,
    trustedDocuments: config.trustedDocuments,
    trusted,
    store: config.persistedQueries.apq
      ? createApqStore({ maxBytes: config.persistedQueries.maxCacheBytes, redis: cacheRedis })
      : undefined,
    onRefused: (reason) => metrics.rejections.inc({ reason }),
  });

  const app = await createHttpServer({ config, metrics, logger, readiness, tracing });
  // One endpoint (analyzer and Apollo server) per distinct schema, built now: a request only
  // picks one, so validation, execution and introspection see only its client's.
  const endpoints = new Map<GraphQLSchema, Endpoint>();
  for (const { schema, client } of [variants.base, ...variants.clients.values()]) {
    if (endpoints.has(schema)) continue;
    const endpoint = await createEndpoint(schema, {
      config,
      metrics,
      logger,
      client,
      engine: options.engine,
      rateLimits,
    });
    endpoints.set(schema, endpoint);
    // Not Apollo's Fastify drain plugin: it closes Fastify from inside apollo.stop(), which
    // deadlocks when Fastify's own close runs apollo.stop(). Fastify drains; then Apollo stops.
    app.addHook('onClose', async () => endpoint.apollo.stop());
  }
  const endpointFor = (client: string) => endpoints.get(variants.select(client).schema)!;
  const subscriptions = registerSubscriptions(app, {
    config: config.subscriptions,
    authenticator,
    tiers,
    upstream,
    metrics,
    logger,
    endpointFor,
    production: config.production,
  });
  registerGraphQLRoute(app, {
    authenticator,
    endpointFor,
    eventStreams: subscriptions.eventStreamStage,
    tiers,
    persisted,
    responseCache: stores.responses && createResponseCache(stores.responses),
    upstream,
    metrics,
    tracing,
    requestTimeoutMs: config.server.requestTimeoutMs,
    maxOperationsPerBatch: config.limits.maxOperationsPerBatch,
    production: config.production,
    trackStale,
  });
  const routes = createRouteSet(config.routes, {
    authenticator,
    tiers,
    upstream,
    requestTimeoutMs: config.server.requestTimeoutMs,
  });
  registerRoutes(app, { metrics, tracing, acquire: () => ({ routes, release: () => {} }) });
  app.addHook('onClose', async () => {
    await upstream.close();
    await rateLimits.close();
    cacheRedis?.disconnect();
    // Last: spans of the requests that just drained are exported before the process ends.
    await tracing?.shutdown();
  });

  return {
    app,
    metrics,
    readiness,
    async listen() {
      const address = await app.listen({ host: config.server.host, port: config.server.port });
      readiness.ready = true;
      return address;
    },
    async close() {
      readiness.ready = false;
      // Subscriptions first: long-lived, they would hold the HTTP drain until the grace period.
      await subscriptions.shutdown();
      await app.close();
    },
  };
}
