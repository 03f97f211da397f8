import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from '../metrics/metrics.js';

const ended = Symbol('request accounted');
// Requests whose route Fastify's pattern does not name (a proxied route behind one catch-all).
const routeLabels = new WeakMap<FastifyRequest, string>();

/** Names the request's route in the metrics instead of the pattern Fastify matched it with. */
export function labelRoute(request: FastifyRequest, route: string): void {
  routeLabels.set(request, route);
}

declare module 'fastify' {
  interface FastifyRequest {
    [ended]?: true;
  }
}

/**
 * One log line per GraphQL request (id, client, operation, status, duration, upstream calls,
 * error codes), the operation-duration histogram and the in-flight gauge. A request whose caller
 * went away before the answer still ends as a request: status 499 (the convention of nginx), logged
 * and counted, exactly once. Secrets never reach the line: it is built from chosen fields, never
 * from headers or variables.
 */
export function registerRequestObservability(app: FastifyInstance, metrics: GatewayMetrics): void {
  // The line holds only the chosen fields below, none of them an object a redact path could
  // match, yet pino's wildcard paths (logger.ts) cost ~14 µs per line to walk them: this child
  // writes to the same destination without them, at the root's level (set once, at start-up).
  const accessLog = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onRequest', async (request, reply) => {
    metrics.inFlight.inc();
    // The caller went away before the answer. Not Fastify's onRequestAbort: it misses a caller
    // that leaves after its body was read, which is when a request spends its time.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) end(request, 499, performance.now() - startedAt(request));
    });
  });
  const end = (request: FastifyRequest, status: number, durationMs: number) => {
    if (request[ended]) return;
    request[ended] = true;
    metrics.inFlight.dec();
    const route = routeLabels.get(request) ?? request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, status: String(status) });
    if (request.graphql) logGraphQLRequest(request, status, durationMs, metrics, accessLog);
  };
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode, reply.elapsedTime));
  app.addHook('onRequestAbort', async (request) =>
    end(request, 499, performance.now() - (request.graphql?.stats.startedAt ?? performance.now())),
  );
}

function startedAt(request: FastifyRequest): number {
  return request.graphql?.stats.startedAt ?? performance.now();
}

function logGraphQLRequest(
  request: FastifyRequest,
  status: number,
  elapsedMs: number,
  metrics: GatewayMetrics,
  accessLog: FastifyBaseLogger,
): void {
  const state = request.graphql!;
  const stats = state.stats;
  const client = state.identity?.clientName ?? 'anonymous';
  const outcome =
    status === 499
      ? 'abandoned'
      : status >= 400
        ? 'error'
        : stats.errorCodes.length > 0
          ? 'partial'
          : 'success';
  if (stats.engine) metrics.executions.inc({ engine: stats.engine });
  metrics.operationDuration.observe(
    { operation: metrics.operationLabel(stats.operationName), client: metrics.clientLabel(client), outcome },
    elapsedMs / 1000,
  );
  // reqId: the binding request.log would have added.
  accessLog.info(
    {
      reqId: request.id,
      client,
      operation: stats.operationName ?? null,
      type: stats.operationType ?? null,
      engine: stats.engine ?? null,
      status,
      durationMs: Math.round(elapsedMs * 10) / 10,
      upstreamCalls: stats.upstreamCalls,
      upstreamMs: Math.round(stats.upstreamMs * 10) / 10,
      errorCodes: stats.errorCodes,
    },
    'graphql request',
  );
}
