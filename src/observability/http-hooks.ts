import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from '../http/metrics.js';
import type { RequestStats } from './request-stats.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's cost accounting, from identity onwards (GraphQL routes only). */
    stats?: RequestStats;
  }
}

/**
 * One log line per GraphQL request (id, client, operation, status, duration, upstream calls,
 * error codes), `Server-Timing` on every GraphQL answer (gateway vs upstream time), the
 * operation-duration histogram and the in-flight gauge. Secrets never reach the line: it is
 * built from chosen fields, never from headers or variables.
 */
export function registerRequestObservability(app: FastifyInstance, metrics: GatewayMetrics): void {
  // The line holds only the chosen fields below, none of them an object a redact path could
  // match, yet pino's wildcard paths (logger.ts) cost ~14 µs per line to walk them: this child
  // writes to the same destination without them, at the root's level (set once, at start-up).
  const accessLog = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onRequest', async () => {
    metrics.inFlight.inc();
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const stats = request.stats;
    if (stats) {
      const totalMs = performance.now() - stats.startedAt;
      const upstreamMs = Math.min(stats.upstreamMs, totalMs);
      void reply.header(
        'server-timing',
        `gateway;dur=${(totalMs - upstreamMs).toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)};desc="${stats.upstreamCalls} calls"`,
      );
    }
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.inFlight.dec();
    if (request.routeOptions.url !== '/graphql' || request.method === 'OPTIONS') return;
    logRequest(request, reply, metrics, accessLog);
  });
}

function logRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: GatewayMetrics,
  accessLog: FastifyBaseLogger,
): void {
  const stats = request.stats;
  const client = request.identity?.clientName ?? 'anonymous';
  const status = reply.statusCode;
  const durationMs = Math.round(reply.elapsedTime * 10) / 10;
  if (stats) {
    const outcome = status >= 400 ? 'error' : stats.errorCodes.length > 0 ? 'partial' : 'success';
    metrics.operationDuration.observe(
      {
        operation: metrics.operationLabel(stats.operationName),
        client: metrics.clientLabel(client),
        outcome,
      },
      reply.elapsedTime / 1000,
    );
  }
  // reqId: the binding request.log would have added.
  accessLog.info(
    {
      reqId: request.id,
      client,
      operation: stats?.operationName ?? null,
      type: stats?.operationType ?? null,
      status,
      durationMs,
      upstreamCalls: stats?.upstreamCalls ?? 0,
      upstreamMs: stats ? Math.round(stats.upstreamMs * 10) / 10 : 0,
      errorCodes: stats?.errorCodes ?? [],
    },
    'graphql request',
  );
}
