import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { UpstreamConfig } from '../config/types.js';
import { discoverReplicas, type ResolveHost, resolveHost } from './discovery.js';
import type { UpstreamFailure } from './errors.js';
import { type Answer, compose, type Dispatch, type Layer } from './exchange.js';
import { breakerLayer, createServiceBreaker, type ServiceBreaker } from './layers/breaker.js';
import { deadlineLayer } from './layers/deadline.js';
import { entityCacheLayer, type StoredEntity } from './layers/entity-cache.js';
import { headersLayer } from './layers/headers.js';
import { httpCacheLayer, type StoredAnswer } from './layers/http-cache.js';
import { observeLayer } from './layers/observe.js';
import { replicaLayer } from './layers/replicas.js';
import { retryLayer } from './layers/retry.js';
import { type StaleCopy, staleIfErrorLayer } from './layers/stale-if-error.js';
import { type Connection, createReplicaSet, type ReplicaSet, type ReplicaTarget } from './replica-set.js';
import { createRetryBudget } from './retry-budget.js';
import type { CallContext, UpstreamEvents, UpstreamRequest } from './types.js';

/** Calls the services: pooled, balanced, bounded, retried, broken, cached, errors coded. */
export interface UpstreamClient {
  /** Resolves with the parsed answer of a success; rejects with an UpstreamFailure. */
  call<T = unknown>(service: string, request: UpstreamRequest, ctx: CallContext): Promise<T>;
  /**
   * Sends a request whose answer is a stream (`request.stream`): resolves with the answer as
   * soon as its headers arrive, its body unread (the caller reads or destroys it).
   */
  open(service: string, request: UpstreamRequest, ctx: CallContext): Promise<Answer>;
  /** Whether a service of that name is configured. */
  has(service: string): boolean;
  /** Per service: breaker state (0 closed, 1 half-open, 2 open) and replicas out of rotation. */
  health(): { service: string; breaker: 0 | 1 | 2; ejected: number }[];
  close(): Promise<void>;
  /**
   * After a reload built `next` from this client (`options.previous`): closes what `next` did not
   * take over (services whose config changed or went away), once this client's last request is
   * done. What `next` took over (pools, breaker state, replica health) lives on there.
   */
  retire(next: UpstreamClient): Promise<void>;
}

/** How a service is reached: opens a connection per address, probes an ejected one, sends an exchange. */
export interface Transport<C extends Connection = Connection> {
  connect(target: ReplicaTarget, config: UpstreamConfig): C;
  probe?(connection: C): Promise<boolean>;
  /** The bottom of the layers: the only part that knows the wire protocol. */
  dispatch(config: UpstreamConfig): Dispatch;
  /** Which of the service's failures are worth another attempt (default: isRetryable). */
  retryable?(failure: UpstreamFailure): boolean;
}

/** Where the caches keep what they keep: in memory (bounded in bytes) or in Redis, per kind. */
export interface UpstreamStores {
  /** Whole GET answers by URL (`cache.upstream`). */
  http?: KeyValueCache<StoredAnswer[]>;
  /** Records of batch look-ups by id (`cache.entities`). */
  entities?: KeyValueCache<StoredEntity>;
  /** Last good answers, for services with `staleIfErrorSeconds`. */
  stale?: KeyValueCache<StaleCopy[]>;
}

export interface UpstreamClientOptions {
  events?: UpstreamEvents;
  stores?: UpstreamStores;
  /** The transport of each protocol (`upstreams.<name>.protocol`). */
  transports: Record<string, Transport>;
  /**
   * The client this one replaces after a reload: each service whose config is unchanged is taken
   * over as it is (its pools, its breaker's state, its replicas' health), not rebuilt.
   */
  previous?: UpstreamClient;
  /** How host names of HTTP services are resolved for DNS discovery (tests inject their own). */
  resolveHost?: ResolveHost;
}

interface Service {
  /** The config it was built from, as JSON: a reload reuses it when this is unchanged. */
  signature: string;
  breaker: ServiceBreaker;
  replicas: ReplicaSet;
  dispatch: Dispatch;
  discovery: { stop(): void };
}

// Each client's services, for a later client that takes some of them over.
const servicesOf = new WeakMap<UpstreamClient, Map<string, Service>>();

async function closeService(service: Service): Promise<void> {
  service.discovery.stop();
  service.breaker.shutdown();
  await service.replicas.close();
}

/**
 * Builds each configured service's path: one breaker, one retry budget, one replica set, and its
 * layers composed in call order over its transport. Reading this list is reading what a call does.
 */
export function createUpstreamClient(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  options: UpstreamClientOptions,
): UpstreamClient {
  const events = options.events ?? {};
  const stores = options.stores ?? {};
  const services = new Map<string, Service>();
  const previous = options.previous ? servicesOf.get(options.previous) : undefined;
  for (const [name, config] of Object.entries(upstreams)) {
    const signature = JSON.stringify(config);
    const kept = previous?.get(name);
    if (kept?.signature === signature) {
      services.set(name, kept);
      continue;
    }
    const transport = options.transports[config.protocol ?? 'http'];
    if (!transport) throw new Error(`no transport for protocol ${config.protocol} of upstream ${name}`);
    const replicas = createReplicaSet(config.urls, {
      connect: (target) => transport.connect(target, config),
      probe: transport.probe && ((replica) => transport.probe!(replica.connection)),
      onEject: (replica) => events.eject?.(name, replica.index),
      onReturn: (replica) => events.return?.(name, replica.index),
    });
    const breaker = createServiceBreaker(name, config.breaker, (state) => events.breaker?.(name, state));
    const staleSeconds = config.staleIfErrorSeconds;
    const entityCache = stores.entities
      ? entityCacheLayer({ store: stores.entities, staleSeconds, events })
      : undefined;
    const layers: (Layer | undefined)[] = [
      headersLayer(config.requestHeaders),
      entityCache,
      httpCacheLayer(stores.http, events, entityCache !== undefined),
      staleSeconds > 0 && stores.stale
        ? staleIfErrorLayer(stores.stale, staleSeconds, events, entityCache !== undefined)
        : undefined,
      retryLayer({
        retries: config.retries,
        budget: createRetryBudget(),
        onRetry: () => events.retry?.(name),
        retryable: transport.retryable,
      }),
      deadlineLayer(config.timeoutMs),
      breakerLayer(breaker),
      replicaLayer(replicas),
      observeLayer(events),
    ];
    // HTTP services whose host names resolve to several addresses get one replica per address.
    const discovery =
      (config.protocol ?? 'http') === 'http'
        ? discoverReplicas(config.urls, options.resolveHost ?? resolveHost, (targets) =>
            replicas.update(targets),
          )
        : { stop() {} };
    services.set(name, {
      signature,
      breaker,
      replicas,
      discovery,
      dispatch: compose(layers, transport.dispatch(config)),
    });
  }

  const client: UpstreamClient = {
    has: (service) => services.has(service),
    async call<T>(name: string, request: UpstreamRequest, ctx: CallContext): Promise<T> {
      const service = services.get(name);
      if (!service) throw new Error(`no upstream service named ${name}`);
      const answer: Answer = await service.dispatch({ service: name, request, ctx, retry: 0, headers: {} });
      return answer.value as T;
    },
    async open(name, request, ctx) {
      const service = services.get(name);
      if (!service) throw new Error(`no upstream service named ${name}`);
      return service.dispatch({
        service: name,
        request: { ...request, stream: true },
        ctx,
        retry: 0,
        headers: {},
      });
    },
    health: () =>
      [...services].map(([service, s]) => ({
        service,
        breaker: s.breaker.state(),
        ejected: s.replicas.ejectedCount(),
      })),
    async close() {
      await Promise.all([...services.values()].map(closeService));
    },
    async retire(next) {
      const taken = new Set(servicesOf.get(next)?.values());
      await Promise.all([...services.values()].filter((s) => !taken.has(s)).map(closeService));
    },
  };
  servicesOf.set(client, services);
  return client;
}
