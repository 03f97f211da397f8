import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamEvents } from '../upstream/types.js';

/** The gateway's Prometheus metrics, on a registry of its own (several gateways per process in tests). */
export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  graphqlRequests: Counter<'operation' | 'status'>;
  upstreamDuration: Histogram<'service' | 'outcome'>;
  shedRequests: Counter;
  /** Requests refused before execution, by reason (a limit's name, a tier, authentication). */
  rejections: Counter<'reason'>;
  /** Rate-limit decisions the shared store (Redis) could not make. */
  rateLimitStoreFailures: Counter;
  /** What the upstream client reports: attempts, retries, breaker states, ejections, stale answers, cache look-ups. */
  upstreamEvents: Required<UpstreamEvents>;
  /** Reports a cache's or store's size at every scrape, as `switchboard_cache_bytes{cache}` and friends. */
  watchStore(name: string, store: { size(): { bytes: number; entries: number }; maxBytes: number }): void;
  operationDuration: Histogram<'operation' | 'client' | 'outcome'>;
  inFlight: Gauge;
  /** Operations executed, by the engine that ran them (graphql-jit or graphql-js). */
  executions: Counter<'engine'>;
  /** Subscriptions open now, by transport (websocket, sse). */
  subscriptionsActive: Gauge<'transport'>;
  /** Events delivered to subscriptions, dropped (too slow) consumers, upstream stream reconnections. */
  subscriptionEvents: Counter;
  slowConsumers: Counter;
  streamReconnects: Counter;
  /** Reloads of the config (SIGHUP, watchConfig): applied or rejected. */
  configReloads: Counter<'outcome'>;
  responseCacheHits: Counter;
  /** A label value for a client name that keeps the label set bounded. */
  clientLabel(name: string): string;
  /** A label value for an operation name that keeps the label set bounded. */
  operationLabel(name: string | null | undefined): string;
}

// Operation names come from clients: past this many distinct names, new ones share one label.
const maxOperationNames = 200;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Creates the registry with process metrics and the gateway's own. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'switchboard_http_requests_total',
    help: 'HTTP requests answered, by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const graphqlRequests = new Counter({
    name: 'switchboard_graphql_requests_total',
    help: 'GraphQL operations answered, by operation name and HTTP status code.',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: 'switchboard_upstream_request_duration_seconds',
    help: 'Duration of upstream HTTP attempts, by service and outcome.',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const upstreamRetries = new Counter({
    name: 'switchboard_upstream_retries_total',
    help: 'Upstream attempts that were retries, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const breakerState = new Gauge({
    name: 'switchboard_upstream_breaker_state',
    help: 'Circuit breaker state by service: 0 closed, 1 half-open, 2 open.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const breakerTransitions = new Counter({
    name: 'switchboard_upstream_breaker_transitions_total',
    help: 'Circuit breaker state changes, by service and new state.',
    labelNames: ['service', 'state'] as const,
    registers: [registry],
  });
  const ejectedReplicas = new Gauge({
    name: 'switchboard_upstream_ejected_replicas',
    help: 'Replicas currently out of rotation after failing (passive outlier detection), by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const ejections = new Counter({
    name: 'switchboard_upstream_ejections_total',
    help: 'Times a replica was taken out of rotation, by service and replica index.',
    labelNames: ['service', 'replica'] as const,
    registers: [registry],
  });
  const timeouts = new Counter({
    name: 'switchboard_upstream_timeouts_total',
    help: 'Upstream attempts that hit their deadline, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const staleAnswers = new Counter({
    name: 'switchboard_upstream_stale_answers_total',
    help: 'Failed upstream calls answered from the stale-if-error cache, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const shedRequests = new Counter({
    name: 'switchboard_shed_requests_total',
    help: 'Requests answered 503 because the event loop was saturated.',
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'switchboard_rejected_requests_total',
    help: 'Requests refused before execution, by reason: an operation limit (maxDepth, maxCost, ...), rate_limit, or authentication.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const rateLimitStoreFailures = new Counter({
    name: 'switchboard_ratelimit_store_failures_total',
    help: 'Rate-limit decisions the shared store could not make (then limited in memory, or refused with failOpen: false).',
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'switchboard_graphql_operation_duration_seconds',
    help: 'GraphQL request duration, by operation name, client and outcome (success, partial, error).',
    labelNames: ['operation', 'client', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'switchboard_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered.',
    registers: [registry],
  });
  const cacheHits = new Counter({
    name: 'switchboard_upstream_cache_hits_total',
    help: 'Upstream GETs answered from the HTTP cache, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const cacheMisses = new Counter({
    name: 'switchboard_upstream_cache_misses_total',
    help: 'Upstream GETs looked up in the HTTP cache and not found, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const entityHits = new Counter({
    name: 'switchboard_entity_cache_hits_total',
    help: 'Records of batch look-ups answered from the entity cache, by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const entityMisses = new Counter({
    name: 'switchboard_entity_cache_misses_total',
    help: 'Records of batch look-ups the entity cache lacked (asked of the service), by service.',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const stores = new Map<string, { size(): { bytes: number; entries: number }; maxBytes: number }>();
  new Gauge({
    name: 'switchboard_cache_bytes',
    help: 'Bytes held by each in-memory cache or store (entries as they were measured when stored, keys included).',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [name, store] of stores) this.set({ cache: name }, store.size().bytes);
    },
  });
  new Gauge({
    name: 'switchboard_cache_entries',
    help: 'Entries held by each in-memory cache or store.',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [name, store] of stores) this.set({ cache: name }, store.size().entries);
    },
  });
  new Gauge({
    name: 'switchboard_cache_max_bytes',
    help: 'The byte bound of each in-memory cache or store: least recently used entries leave beyond it.',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [name, store] of stores) this.set({ cache: name }, store.maxBytes);
    },
  });
  const executions = new Counter({
    name: 'switchboard_graphql_executions_total',
    help: 'GraphQL operations executed, by engine: graphql-jit (compiled, from the second run of an operation) or graphql-js.',
    labelNames: ['engine'] as const,
    registers: [registry],
  });
  const subscriptionsActive = new Gauge({
    name: 'switchboard_subscriptions_active',
    help: 'Subscriptions open now, by transport (websocket: graphql-ws; sse: graphql-sse).',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  const subscriptionEvents = new Counter({
    name: 'switchboard_subscription_events_total',
    help: 'Events delivered to subscriptions.',
    registers: [registry],
  });
  const slowConsumers = new Counter({
    name: 'switchboard_subscription_slow_consumers_total',
    help: 'Subscriptions ended because their consumer fell more than subscriptions.maxQueuedEvents behind.',
    registers: [registry],
  });
  const streamReconnects = new Counter({
    name: 'switchboard_upstream_stream_reconnects_total',
    help: 'Reconnections of upstream event streams after a drop or a failed open (with Last-Event-ID).',
    registers: [registry],
  });
  const configReloads = new Counter({
    name: 'switchboard_config_reloads_total',
    help: 'Configuration reloads (SIGHUP or server.watchConfig), by outcome: applied, or rejected (the old config stays).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const responseCacheHits = new Counter({
    name: 'switchboard_response_cache_hits_total',
    help: 'GraphQL requests answered from the response cache.',
    registers: [registry],
  });
  const clientNames = new Set<string>();
  const breakerCode = { open: 2, halfOpen: 1, close: 0 } as const;
  const seenNames = new Set<string>();
  return {
    registry,
    httpRequests,
    graphqlRequests,
    upstreamDuration,
    shedRequests,
    rejections,
    rateLimitStoreFailures,
    operationDuration,
    inFlight,
    executions,
    subscriptionsActive,
    subscriptionEvents,
    slowConsumers,
    streamReconnects,
    configReloads,
    responseCacheHits,
    clientLabel(name) {
      // API-key clients are few; header-named ones could be anything: past 50, they share a label.
      if (clientNames.has(name)) return name;
      if (clientNames.size >= 50) return 'other';
      clientNames.add(name);
      return name;
    },
    upstreamEvents: {
      call(event) {
        upstreamDuration.observe({ service: event.service, outcome: event.outcome }, event.durationMs / 1000);
        if (event.outcome === 'timeout') timeouts.inc({ service: event.service });
      },
      retry: (service) => upstreamRetries.inc({ service }),
      breaker(service, state) {
        breakerState.set({ service }, breakerCode[state]);
        breakerTransitions.inc({ service, state });
      },
      eject(service, replica) {
        ejectedReplicas.inc({ service });
        ejections.inc({ service, replica: String(replica) });
      },
      return: (service) => ejectedReplicas.dec({ service }),
      stale: (service) => staleAnswers.inc({ service }),
      cache(service, kind, hit) {
        if (kind === 'entity') (hit ? entityHits : entityMisses).inc({ service });
        else (hit ? cacheHits : cacheMisses).inc({ service });
      },
    },
    watchStore(name, store) {
      stores.set(name, store);
    },
    operationLabel(name) {
      if (!name) return 'anonymous';
      if (!namePattern.test(name)) return 'other';
      if (seenNames.has(name)) return name;
      if (seenNames.size >= maxOperationNames) return 'other';
      seenNames.add(name);
      return name;
    },
  };
}
