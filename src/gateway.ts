import type { SpanExporter } from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type Authenticator, createAuthenticator } from './auth/authenticate.js';
import { createResponseCache } from './cache/response-cache.js';
import { createCacheStores } from './cache/stores.js';
import { buildVariants, composeVariants } from './clients/variants.js';
import type { GatewayConfig } from './config/types.js';
import { createEndpoint, type Endpoint } from './graphql/endpoint.js';
import type { Engine } from './graphql/executor.js';
import { createSchema } from './graphql/schema.js';
import type { Readiness } from './http/health.js';
import { createHttpServer } from './http/server.js';
import { registerIde } from './ide/index.js';
import { createLogger } from './logger.js';
import { createMetrics, type GatewayMetrics } from './metrics/metrics.js';
import { createTracing } from './observability/tracing.js';
import { createApqStore } from './persisted/apq-store.js';
import { createPersistedOperations } from './persisted/persisted-operations.js';
import { loadTrustedDocuments } from './persisted/trusted-documents.js';
import { createGraphQLStages, type GraphQLStages, registerGraphQLRoute } from './pipeline/index.js';
import { createRateLimitBackend } from './ratelimit/index.js';
import { createTierLimiter, type TierLimiter } from './ratelimit/tiers.js';
import { createGenerationHolder } from './reload/holder.js';
import { type ConfigSource, createReloader, type ReloadOutcome } from './reload/reloader.js';
import { watchConfig } from './reload/watch.js';
import { createRouteSet, type RouteSet, registerRoutes } from './routes/index.js';
import { createRedisClient } from './stores/redis-client.js';
import { registerSubscriptions } from './subscriptions/index.js';
import { createUpstreamClient, type UpstreamClient } from './upstream/client.js';
import type { ResolveHost } from './upstream/discovery.js';
import { transports } from './upstream/transport/index.js';

/** A running-or-ready gateway: the composition root of every part. */
export interface Gateway {
  app: FastifyInstance;
  metrics: GatewayMetrics;
  readiness: Readiness;
  /** Listens on the configured host and port (port 0 picks a free one); resolves with the base URL. */
  listen(): Promise<string>;
  /**
   * Re-reads the config source (SIGHUP): applied for requests that start from now on, or
   * rejected (logged, the old config stays).
   */
  reload(): Promise<ReloadOutcome>;
  /** Stops taking traffic (`/ready` 503), lets in-flight requests finish, closes pools. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** Where spans go instead of OTLP when `tracing.enabled` (tests: an InMemorySpanExporter). */
  tracingExporter?: SpanExporter;
  /** The execution engine (default graphql-jit; tests compare both). */
  engine?: Engine;
  /**
   * In a worker of `--workers N`: what /metrics answers instead of this process's registry alone
   * (every worker's metrics, collected by the primary).
   */
  clusterMetrics?: (registry: Registry) => () => Promise<{ text: string; scope: 'cluster' | 'worker' }>;
  /** Where `reload()` re-reads the config from (and what `server.watchConfig` watches). */
  configSource?: ConfigSource;
  /** How services' host names are resolved for DNS discovery (default: DNS, then the system). */
  resolveHost?: ResolveHost;
}

/**
 * Everything built from one config that a reload may change: identity, quotas, the services,
 * the schema variants and their limits, persisted operations, and the /graphql stages over them.
 */
interface Generation {
  config: GatewayConfig;
  authenticator: Authenticator;
  tiers: TierLimiter;
  upstream: UpstreamClient;
  endpointFor(client: string): Endpoint;
  endpoints: Endpoint[];
  stages: GraphQLStages;
  /** The REST routes (`routes:`) over this generation's identity, quotas and services. */
  routes: RouteSet;
}

/** Builds the gateway from a validated config. Nothing listens until `listen()`. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.log.level);
  const metrics = createMetrics();
  const readiness: Readiness = { ready: false };
  // Opened once, for the process's life (their keys need a restart: reload/reloader.ts).
  const cacheRedis =
    config.redis.url && (config.cache.upstream || config.cache.responses || config.persistedQueries.apq)
      ? // Caches answer from Redis in well under a millisecond; a stalled Redis must cost a miss,
        // not a quarter second per lookup.
        createRedisClient(config.redis.url, logger, 50)
      : undefined;
  const stores = createCacheStores(config, cacheRedis, metrics);
  const responseCache = stores.responses && createResponseCache(stores.responses);
  const apqStore = config.persistedQueries.apq
    ? createApqStore({ maxBytes: config.persistedQueries.maxCacheBytes, redis: cacheRedis })
    : undefined;
  const tracing = createTracing(config.tracing, {
    exporter: options.tracingExporter,
    onExportError: (error) => logger.warn({ err: error }, 'trace export failed'),
  });
  const rateLimits = createRateLimitBackend(config, logger, metrics);
  const upstreamEvents = {
    ...metrics.upstreamEvents,
    call(event: Parameters<GatewayMetrics['upstreamEvents']['call']>[0]) {
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
  };

  /** Builds a generation; the previous one's unchanged services are taken over, not rebuilt. */
  async function buildGeneration(config: GatewayConfig, previous?: Generation): Promise<Generation> {
    // First: a bad manifest or client schema stops here, before anything is opened.
    const trusted = await loadTrustedDocuments(config.trustedDocuments);
    const isDeclared = (service: string) => service in config.upstreams;
    const composed = await composeVariants(config.clients.dir, isDeclared);
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
    // One endpoint (analyzer and Apollo server) per distinct schema, built now: a request only
    // picks one, so validation, execution and introspection see only its client's.
    const bySchema = new Map<GraphQLSchema, Endpoint>();
    for (const { schema, client } of [variants.base, ...variants.clients.values()]) {
      if (bySchema.has(schema)) continue;
      const endpoint = await createEndpoint(schema, {
        config,
        metrics,
        logger,
        client,
        engine: options.engine,
        rateLimits,
      });
      bySchema.set(schema, endpoint);
    }
    const upstream = createUpstreamClient(config.upstreams, {
      transports,
      stores: stores.upstream,
      events: upstreamEvents,
      previous: previous?.upstream,
      resolveHost: options.resolveHost,
    });
    const authenticator = createAuthenticator(config.auth);
    const tiers = createTierLimiter(config.rateLimits, rateLimits);
    const endpointFor = (client: string) => bySchema.get(variants.select(client).schema)!;
    const persisted = createPersistedOperations({
      persistedQueries: config.persistedQueries,
      trustedDocuments: config.trustedDocuments,
      trusted,
      store: apqStore,
      onRefused: (reason) => metrics.rejections.inc({ reason }),
    });
    return {
      config,
      authenticator,
      tiers,
      upstream,
      routes: createRouteSet(config.routes, {
        authenticator,
        tiers,
        upstream,
        requestTimeoutMs: config.server.requestTimeoutMs,
      }),
      endpointFor,
      endpoints: [...bySchema.values()],
      stages: createGraphQLStages({
        authenticator,
        endpointFor,
        tiers,
        persisted,
        responseCache,
        upstream,
        metrics,
        requestTimeoutMs: config.server.requestTimeoutMs,
        maxOperationsPerBatch: config.limits.maxOperationsPerBatch,
        production: config.production,
        trackStale,
      }),
    };
  }

  // A generation retires once no request uses it: its Apollo servers stop, and the services the
  // next one did not take over close (their pools after their last request).
  const retire = async (old: Generation, next: Generation | undefined) => {
    await Promise.all(old.endpoints.map((endpoint) => endpoint.apollo.stop()));
    if (next) await old.upstream.retire(next.upstream);
    else await old.upstream.close();
  };
  const holder = createGenerationHolder(await buildGeneration(config), retire);

  const app = await createHttpServer({
    config,
    metrics,
    logger,
    readiness,
    tracing,
    readMetrics: options.clusterMetrics?.(metrics.registry),
  });
  // Subscriptions live longer than any config: each new one, and each reconnection of an
  // upstream stream, uses the generation current at that moment.
  const live = () => holder.current;
  const subscriptions = registerSubscriptions(app, {
    config: config.subscriptions,
    authenticator: { authenticate: (headers) => live().authenticator.authenticate(headers) },
    tiers: { check: (...args) => live().tiers.check(...args) },
    upstream: forwardingUpstream(() => live().upstream),
    metrics,
    logger,
    endpointFor: (client) => live().endpointFor(client),
    production: config.production,
  });
  // Before the /graphql route: a browser's GET /graphql gets the IDE, not a GraphQL answer.
  if (config.server.sandbox && config.server.sandboxIde === 'graphiql')
    await registerIde(app, { config, logger });
  registerGraphQLRoute(app, {
    tracing,
    eventStreams: subscriptions.eventStreamStage,
    acquire() {
      const lease = holder.acquire();
      return { stages: lease.generation.stages, release: lease.release };
    },
  });
  registerRoutes(app, {
    metrics,
    tracing,
    acquire() {
      const lease = holder.acquire();
      return { routes: lease.generation.routes, release: lease.release };
    },
  });

  const apply = async (next: GatewayConfig) => {
    holder.swap(await buildGeneration(next, holder.current));
    // Log level is the one logger setting that can follow the file.
    logger.level = next.log.level;
  };
  const reloadFromSource = options.configSource
    ? createReloader({
        source: options.configSource,
        current: () => holder.current.config,
        apply,
        logger,
        onOutcome: (outcome) => metrics.configReloads.inc({ outcome }),
      })
    : undefined;
  const stopWatching =
    options.configSource && config.server.watchConfig
      ? watchConfig({ file: options.configSource.file, clientsDir: config.clients.dir }, () => {
          void reloadFromSource?.('file changed');
        })
      : undefined;

  app.addHook('onClose', async () => {
    stopWatching?.();
    await holder.close();
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
    async reload() {
      if (reloadFromSource) return reloadFromSource('SIGHUP');
      logger.warn('reload asked of a gateway built without a config source: nothing to re-read');
      return 'rejected';
    },
    async close() {
      readiness.ready = false;
      // Subscriptions first: long-lived, they would hold the HTTP drain until the grace period.
      await subscriptions.shutdown();
      await app.close();
    },
  };
}

/** An UpstreamClient that sends each call through whichever client is current. */
function forwardingUpstream(current: () => UpstreamClient): UpstreamClient {
  return {
    call: (service, request, ctx) => current().call(service, request, ctx),
    open: (service, request, ctx) => current().open(service, request, ctx),
    has: (service) => current().has(service),
    health: () => current().health(),
    close: async () => {},
    retire: async () => {},
  };
}
