import type { UpstreamConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { mapTransportError, type UpstreamFailure, upstreamFailure } from './errors.js';
import { upstreamHeaders } from './headers.js';
import { parseJson, readBounded, serviceMessageOf } from './read-body.js';
import { createReplicaSet, type ReplicaSet } from './replicas.js';
import type { CallContext, UpstreamCallEvent, UpstreamRequest } from './types.js';

/** Calls the REST services: pooled, balanced, bounded in time and size, errors coded. */
export interface UpstreamClient {
  /** Resolves with the parsed JSON of a 2xx answer; rejects with an UpstreamFailure. */
  call<T = unknown>(service: string, request: UpstreamRequest, ctx: CallContext): Promise<T>;
  /** Whether a service of that name is configured. */
  has(service: string): boolean;
  close(): Promise<void>;
}

export interface UpstreamClientOptions {
  /** Called once per attempt, after it finished (metrics, logs). Must not throw. */
  onCall?: (event: UpstreamCallEvent) => void;
}

interface Service {
  name: string;
  config: UpstreamConfig;
  replicas: ReplicaSet;
}

/** Creates one pool per URL of every configured service. */
export function createUpstreamClient(
  upstreams: Readonly<Record<string, UpstreamConfig>>,
  options: UpstreamClientOptions = {},
): UpstreamClient {
  const services = new Map<string, Service>();
  for (const [name, config] of Object.entries(upstreams)) {
    services.set(name, {
      name,
      config,
      replicas: createReplicaSet(config.urls, { maxConnections: config.maxConnections }),
    });
  }
  const onCall = options.onCall ?? (() => {});

  return {
    has: (service) => services.has(service),
    async call<T>(name: string, request: UpstreamRequest, ctx: CallContext): Promise<T> {
      const service = services.get(name);
      if (!service) throw new Error(`no upstream service named ${name}`);
      return (await attempt(service, request, ctx, onCall)) as T;
    },
    async close() {
      await Promise.all([...services.values()].map((s) => s.replicas.close()));
    },
  };
}

async function attempt(
  service: Service,
  request: UpstreamRequest,
  ctx: CallContext,
  onCall: (event: UpstreamCallEvent) => void,
): Promise<unknown> {
  const replica = service.replicas.next();
  const started = performance.now();
  // The attempt gets its own timeout or what remains of the request's deadline, whichever is
  // smaller, as an AbortSignal: exact to the millisecond, unlike undici's coarse timers.
  const budgetMs = Math.min(service.config.timeoutMs, Math.floor(ctx.deadline - started));
  const event: UpstreamCallEvent = {
    service: service.name,
    replica: replica.index,
    method: request.method,
    path: request.path,
    status: 0,
    outcome: 'ok',
    durationMs: 0,
  };
  const finish = (outcome: UpstreamCallEvent['outcome']) => {
    event.outcome = outcome;
    event.durationMs = performance.now() - started;
    onCall(event);
  };
  if (budgetMs <= 0) {
    const failure = timeoutFailure(service.name, service.config.timeoutMs);
    finish('timeout');
    throw failure;
  }

  const headers = upstreamHeaders(ctx);
  headers.accept = 'application/json';
  if (request.headers) Object.assign(headers, request.headers);
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const query = request.query ? `?${new URLSearchParams(request.query).toString()}` : '';

  try {
    const response = await replica.pool.request({
      method: request.method,
      path: `${replica.basePath}${request.path}${query}`,
      headers,
      body,
      signal: AbortSignal.timeout(budgetMs),
    });
    event.status = response.statusCode;
    const text = await readBounded(service.name, response, service.config.maxResponseBytes);
    if (response.statusCode >= 500) {
      throw upstreamFailure(
        service.name,
        ErrorCode.UPSTREAM_ERROR,
        `${service.name} failed with HTTP ${response.statusCode}`,
        'error',
        response.statusCode,
      );
    }
    if (response.statusCode >= 400 || response.statusCode < 200 || response.statusCode >= 300) {
      // 4xx: the request was refused. Resolvers decide what it means (BAD_USER_INPUT on a
      // mutation, null for a missing resource); by default it is the gateway's bug.
      throw upstreamFailure(
        service.name,
        ErrorCode.UPSTREAM_ERROR,
        `${service.name} refused the request with HTTP ${response.statusCode}`,
        'client_error',
        response.statusCode,
        serviceMessageOf(text),
      );
    }
    const parsed = parseJson(service.name, text, response.headers['content-type']);
    finish('ok');
    return parsed;
  } catch (error) {
    const failure: UpstreamFailure = mapTransportError(service.name, error, budgetMs);
    finish(failure.outcome);
    throw failure;
  }
}

function timeoutFailure(service: string, timeoutMs: number): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.UPSTREAM_TIMEOUT,
    `${service} did not answer within ${timeoutMs} ms`,
    'timeout',
  );
}
