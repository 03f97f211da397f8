import { setTimeout as sleep } from 'node:timers/promises';
import type { UpstreamConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { type AttemptResult, attemptOnce, queryString } from './attempt.js';
import { createServiceBreaker, type ServiceBreaker } from './breaker.js';
import { isUpstreamFailure, type UpstreamFailure, upstreamFailure } from './errors.js';
import { freshnessMs, type HttpCache, parseCacheControl, privateFreshnessMs } from './http-cache.js';
import { createReplicaSet, type Replica, type ReplicaSet } from './replicas.js';
import { createRetryBudget, type RetryBudget } from './retry-budget.js';
import { createStaleCache, type StaleCache } from './stale-cache.js';
import type { CallContext, UpstreamCallEvent, UpstreamRequest } from './types.js';

/** Calls the REST services: pooled, balanced, bounded, retried, broken, errors coded. */
export interface UpstreamClient {
  /** Resolves with the parsed JSON of a 2xx answer; rejects with an UpstreamFailure. */
  call<T = unknown>(service: string, request: UpstreamRequest, ctx: CallContext): Promise<T>;
  /** Whether a service of that name is configured. */
  has(service: string): boolean;
  /** Per service: breaker state (0 closed, 1 half-open, 2 open) and replicas out of rotation. */
  health(): { service: string; breaker: 0 | 1 | 2; ejected: number }[];
  close(): Promise<void>;
}

/** Observers of what the client does (metrics, logs). None may throw. */
export interface UpstreamClientOptions {
  onCall?: (event: UpstreamCallEvent) => void;
  onRetry?: (service: string) => void;
  onBreaker?: (service: string, state: 'open' | 'halfOpen' | 'close') => void;
  onEject?: (service: string, replica: number) => void;
  onReturn?: (service: string, replica: number) => void;
  onStale?: (service: string) => void;
  /** Told of every lookup in the HTTP cache. */
  onCache?: (service: string, hit: boolean) => void;
  /** Cacheable GET answers (by their Cache-Control) are kept here; none when absent. */
  cache?: HttpCache;
}

interface Service {
  name: string;
  config: UpstreamConfig;
  replicas: ReplicaSet;
  breaker: ServiceBreaker;
  budget: RetryBudget;
  stale?: StaleCache;
}

// Backoff before retry n (0-based): ~25 ms, ~50 ms…, ±50% jitter so retries don't synchronise.
const backoffBaseMs = 25;
const probeTimeoutMs = 1_000;

/** Creates one pool per URL, one breaker and one retry budget per configured service. */
export function createUpstreamClient(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  options: UpstreamClientOptions = {},
): UpstreamClient {
  const onCall = options.onCall ?? (() => {});
  const services = new Map<string, Service>();
  for (const [name, config] of Object.entries(upstreams)) {
    services.set(name, {
      name,
      config,
      replicas: createReplicaSet(config.urls, {
        maxConnections: config.maxConnections,
        probe: (replica) => probeHealth(replica),
        onEject: (replica) => options.onEject?.(name, replica.index),
        onReturn: (replica) => options.onReturn?.(name, replica.index),
      }),
      breaker: createServiceBreaker(name, config.breaker, (state) => options.onBreaker?.(name, state)),
      budget: createRetryBudget(),
      stale: config.staleIfErrorSeconds > 0 ? createStaleCache(config.staleIfErrorSeconds) : undefined,
    });
  }

  const callWithRetries = async (
    service: Service,
    request: UpstreamRequest,
    ctx: CallContext,
  ): Promise<AttemptResult> => {
    // Only idempotent reads are retried: a POST that timed out may have been applied.
    const maxRetries = request.method === 'GET' ? service.config.retries : 0;
    service.budget.recordCall();
    let failed: Replica | undefined;
    let lastFailure: UpstreamFailure | undefined;
    for (let attempt = 0; ; attempt++) {
      const timeoutMs = request.timeoutMs ?? service.config.timeoutMs;
      const budgetMs = Math.min(timeoutMs, Math.floor(ctx.deadline - performance.now()));
      // The request's time ran out before this attempt (e.g. while an earlier batch level was
      // answered): nothing is asked of the service, so nothing may count against it either —
      // neither its breaker nor the replica's health.
      if (budgetMs <= 0) throw lastFailure ?? deadlineFailure(service.name);
      const replica = service.replicas.next(failed);
      try {
        const result = await service.breaker.run(() =>
          attemptOnce(service.name, service.config, replica, request, ctx, budgetMs, onCall, attempt),
        );
        service.replicas.report(replica, true, false);
        return result;
      } catch (error) {
        const failure = error as UpstreamFailure;
        // A retry that finds the breaker open (often opened by the very failure it retries) made
        // no call: the caller learns what the service actually did, not "circuit open".
        if (failure.outcome === 'circuit_open' && lastFailure) throw lastFailure;
        if (failure.outcome !== 'circuit_open' && failure.outcome !== 'client_error') {
          service.replicas.report(replica, false, failure.connectFailed === true);
        }
        lastFailure = failure;
        const delay = backoffBaseMs * 2 ** attempt * (0.5 + Math.random());
        const retryable =
          attempt < maxRetries &&
          isRetryable(failure) &&
          // Only when the retry could still finish: at least one more delay of time left.
          ctx.deadline - performance.now() > delay * 2 &&
          service.budget.tryAcquire();
        if (!retryable) throw failure;
        options.onRetry?.(service.name);
        failed = replica;
        await sleep(delay);
      }
    }
  };

  return {
    has: (service) => services.has(service),
    async call<T>(name: string, request: UpstreamRequest, ctx: CallContext): Promise<T> {
      const service = services.get(name);
      if (!service) throw new Error(`no upstream service named ${name}`);
      if (request.method !== 'GET') return (await callWithRetries(service, request, ctx)).value as T;
      const key = `${request.path}${queryString(request)}`;
      const cache = options.cache;
      if (cache) {
        const cached = await cache.get(`${name}:${key}`);
        options.onCache?.(name, cached !== undefined);
        if (cached !== undefined) {
          ctx.stats?.cacheHit(name, request);
          ctx.stats?.noteFreshness(cached.remainingMs, false);
          return cached.value as T;
        }
      }
      try {
        const result = await callWithRetries(service, request, ctx);
        const directives = parseCacheControl(result.cacheControl);
        const ttlMs = cache ? freshnessMs(directives, result.vary) : 0;
        if (ttlMs > 0) void cache!.set(`${name}:${key}`, result.value, ttlMs);
        // What the whole response may be cached for depends on every answer it is built from.
        ctx.stats?.noteFreshness(privateFreshnessMs(directives), directives.private);
        service.stale?.set(key, result.value);
        return result.value as T;
      } catch (error) {
        if (!service.stale) throw error;
        const kept =
          isUpstreamFailure(error) && error.outcome !== 'client_error' ? service.stale.get(key) : undefined;
        if (!kept) throw error;
        options.onStale?.(name);
        ctx.onStale?.(name, kept.value, kept.ageSeconds);
        return kept.value as T;
      }
    },
    health: () =>
      [...services.values()].map((s) => ({
        service: s.name,
        breaker: s.breaker.state(),
        ejected: s.replicas.ejectedCount(),
      })),
    async close() {
      for (const service of services.values()) service.breaker.shutdown();
      await Promise.all([...services.values()].map((s) => s.replicas.close()));
    },
  };
}

/** Worth another attempt elsewhere: the service or the network failed, not the request. */
function isRetryable(failure: UpstreamFailure): boolean {
  if (failure.outcome === 'unavailable' || failure.outcome === 'timeout') return true;
  return failure.outcome === 'error' && failure.upstreamStatus >= 500;
}

/** The request's deadline passed before an attempt could start. */
function deadlineFailure(service: string): UpstreamFailure {
  return upstreamFailure(service, ErrorCode.UPSTREAM_TIMEOUT, `${service} did not answer in time`, 'timeout');
}

/** GET /health on an ejected replica: 200 within a second brings it back. */
async function probeHealth(replica: Replica): Promise<boolean> {
  try {
    const response = await replica.pool.request({
      method: 'GET',
      path: `${replica.basePath}/health`,
      signal: AbortSignal.timeout(probeTimeoutMs),
    });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}
