import type { Span } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { createCallObserver } from '../observability/call-observer.js';
import { labelRoute } from '../observability/http-hooks.js';
import { createRequestStats, type RequestStats } from '../observability/request-stats.js';
import { scopeOf, startRequestSpan, type Tracing } from '../observability/tracing.js';
import { type AccessDeps, admit } from './access.js';
import { type ProxyOptions, proxy } from './proxy.js';
import { sendError } from './reply.js';
import { createRouteTable, type Route, type RouteTable } from './table.js';

/**
 * The routes of one config and what serves them: built with each config (a reload builds a new
 * one), so a request is served start to end by the identity, quotas and services of one config.
 */
export interface RouteSet extends Omit<AccessDeps, 'metrics'>, ProxyOptions {
  table: RouteTable;
}

/** Compiles `routes:` with the parts of the same config that serve them. */
export function createRouteSet(
  routes: readonly RouteConfig[],
  parts: Omit<AccessDeps, 'metrics'> & ProxyOptions,
): RouteSet {
  return { ...parts, table: createRouteTable(routes) };
}

export interface RoutesDeps {
  metrics: GatewayMetrics;
  /** Absent when tracing is off. */
  tracing?: Tracing;
  /**
   * The route set current when a request arrives, held until `release` (the answer has left or
   * the caller has gone): a reload never changes a request half-way, nor closes what it streams.
   */
  acquire(): { routes: RouteSet; release(): void };
}

/** What one proxied request records for its log line and its span, and the set it holds. */
interface Proxied {
  route: Route;
  client?: string;
  stats: RequestStats;
  span?: Span;
  release(): void;
}

// Every method a route may list. OPTIONS is left to CORS when it answers preflights on every path.
const routeMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * REST routes (`routes:`): a request whose path is a route's `path` or under it is proxied to
 * the route's service, in this order: the path's safety (400), the method (405 with `Allow`),
 * the caller's identity and the route's `auth` (401, 403), the tier quota (429), then the call
 * (proxy.ts). One catch-all route takes every path the gateway's own endpoints leave free, so
 * the table can change with the config; a path no route claims gets the server's usual 404. Its
 * bodies are never parsed: they stream to the service as they arrive.
 */
export function registerRoutes(app: FastifyInstance, deps: RoutesDeps): void {
  const proxied = new WeakMap<FastifyRequest, Proxied>();
  const accessLog = app.log.child({}, { redact: { paths: [] } });

  const finish = (request: FastifyRequest, status: number) => {
    const state = proxied.get(request);
    if (!state) return;
    proxied.delete(request);
    state.release();
    const { stats, route, span } = state;
    const durationMs = performance.now() - stats.startedAt;
    accessLog.info(
      {
        reqId: request.id,
        client: state.client ?? null,
        route: route.path,
        service: route.upstream,
        method: request.method,
        status,
        durationMs: Math.round(durationMs * 10) / 10,
        upstreamCalls: stats.upstreamCalls,
        upstreamMs: Math.round(stats.upstreamMs * 10) / 10,
      },
      'route request',
    );
    if (span) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
      span.end();
    }
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const lease = deps.acquire();
    const set = lease.routes;
    const match = set.table.match(request.url);
    if (!match) {
      lease.release();
      labelRoute(request, 'unmatched');
      return reply.callNotFound();
    }
    const { route } = match;
    labelRoute(request, route.path);
    const state: Proxied = { route, stats: createRequestStats(false), release: lease.release };
    proxied.set(request, state);
    const tracing = deps.tracing;
    if (tracing) {
      const { method, id, headers } = request;
      state.span = startRequestSpan(tracing.tracer, method, id, headers.traceparent, route.path);
    }
    // The caller went away before the whole answer: the call stops, and the line says 499.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      abort.abort();
      finish(request, 499);
    });
    if (match.unsafe) {
      return sendError(reply, ErrorCode.BAD_REQUEST, { message: 'The path has "." or ".." segments' });
    }
    if (!route.methods.has(request.method)) {
      void reply.header('allow', route.allow);
      return sendError(reply, ErrorCode.METHOD_NOT_ALLOWED, { message: `Allowed methods: ${route.allow}` });
    }
    const identity = await admit(request, reply, route, { ...set, metrics: deps.metrics });
    if (!identity) return reply;
    state.client = identity.clientName;
    const trace = state.span && tracing ? scopeOf(tracing.tracer, state.span) : undefined;
    const observer = createCallObserver({ stats: state.stats, trace });
    const call = {
      identity,
      startedAt: state.stats.startedAt,
      signal: abort.signal,
      onCallerGone: () => abort.abort(),
      observer,
    };
    return proxy(request, reply, match, call, set);
  };

  void app.register(async (scope) => {
    // Bodies are the service's to read: no parser, no body limit, the raw stream goes on.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.addHook('onResponse', async (request, reply) => finish(request, reply.statusCode));
    scope.route({
      method: routeMethods.filter((method) => !app.hasRoute({ method, url: '/*' })),
      url: '/*',
      exposeHeadRoute: false,
      handler: handle,
    });
  });
}
