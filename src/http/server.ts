import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import { errorBody } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { registerRequestObservability } from '../observability/http-hooks.js';
import type { Tracing } from '../observability/tracing.js';
import { registerRequestTracing } from '../observability/tracing-hooks.js';
import { trackConnections } from './connections.js';
import { registerCors } from './cors.js';
import { registerDrain } from './drain.js';
import { handleHttpError } from './error-handler.js';
import { type Readiness, registerHealthRoutes } from './health.js';
import { registerLoadShedding } from './load-shedding.js';
import { requestIdOf } from './request-id.js';

export interface HttpServerDeps {
  config: GatewayConfig;
  metrics: GatewayMetrics;
  logger: Logger;
  readiness: Readiness;
  /** Absent when tracing is off: then no tracing hook is registered at all. */
  tracing?: Tracing;
  /** What /metrics answers when this process is one worker of several (default: its own registry). */
  readMetrics?: () => Promise<{ text: string; scope: 'cluster' | 'worker' }>;
}

/**
 * Builds the Fastify app: connection limits, request ids, CORS, load shedding, coded HTTP
 * errors, /health, /ready and /metrics. The GraphQL route is registered by the pipeline
 * (src/pipeline/). Call `ready()`/`listen()` after.
 */
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
    // The drain (drain.ts) closes connections itself, only once they have been idle for a moment.
    forceCloseConnections: false,
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
  const connections = trackConnections(app.server, {
    maxPerClient: config.server.maxConnectionsPerClient,
    trustedProxies: config.server.trustedProxies,
    maxConnections: config.server.maxConnections,
    keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
  });
  registerDrain(app, connections);
  registerRequestObservability(app, metrics);
  if (deps.tracing) registerRequestTracing(app);

  registerHealthRoutes(app, deps.readiness);
  const readMetrics =
    deps.readMetrics ?? (async () => ({ text: await metrics.registry.metrics(), scope: 'worker' as const }));
  app.get('/metrics', async (_request, reply) => {
    const { text, scope } = await readMetrics();
    // With workers, `worker` says the primary could not collect the others: these figures are partial.
    if (deps.readMetrics) reply.header('x-switchboard-metrics-scope', scope);
    return reply.type(metrics.registry.contentType).send(text);
  });

  return app;
}

/** A tenth of the headers timeout (100 ms to 30 s): slow clients are cut within ~110% of it. */
function connectionsCheckingInterval(headersTimeoutMs: number): number {
  return Math.min(30_000, Math.max(100, Math.round(headersTimeoutMs / 10)));
}
