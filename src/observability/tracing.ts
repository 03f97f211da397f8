import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TracingConfig } from '../config/types.js';
import type { UpstreamCallEvent, UpstreamRequest } from '../upstream/types.js';
import { remoteSpanContext } from './trace-context.js';

/** The gateway's tracer and how to stop it; absent altogether when tracing is off. */
export interface Tracing {
  tracer: Tracer;
  /** Exports what is still queued, then stops the exporter. */
  shutdown(): Promise<void>;
}

/**
 * Where a traced request's work hangs its spans: the parent span and its context. It travels on
 * the request's CallContext (a loader batch passes a copy with its own span to its calls), so no
 * global context manager is needed: the gateway registers nothing process-wide.
 */
export interface TraceScope {
  tracer: Tracer;
  span: Span;
  context: Context;
}

export interface TracingOptions {
  /** Replaces the OTLP exporter (tests: an InMemorySpanExporter); spans then go out one by one. */
  exporter?: SpanExporter;
  /** Told when an export fails (the collector is down), at most once a minute. */
  onExportError?: (error: Error | undefined) => void;
}

const exportErrorIntervalMs = 60_000;

/**
 * Creates the tracer provider when `config.enabled`, else nothing (undefined): with tracing off
 * the gateway creates no span, registers no hook and wraps no function.
 */
export function createTracing(config: TracingConfig, options: TracingOptions = {}): Tracing | undefined {
  if (!config.enabled) return undefined;
  const processor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : new BatchSpanProcessor({
        exporter: reportingFailures(
          new OTLPTraceExporter(config.otlpEndpoint ? { url: config.otlpEndpoint } : {}),
          options.onExportError,
        ),
      });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // A caller that sampled its trace gets ours too (and one that did not, doesn't): the ratio
    // only decides for traces that start here.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
    spanProcessors: [processor],
  });
  return {
    tracer: provider.getTracer('switchboard'),
    shutdown: () => provider.shutdown(),
  };
}

/** A scope whose children are children of `span`. */
export function scopeOf(tracer: Tracer, span: Span): TraceScope {
  return { tracer, span, context: trace.setSpan(ROOT_CONTEXT, span) };
}

/**
 * The server span of one GraphQL request (or of a proxied route's, named by its `route`): a
 * child of the caller's `traceparent` when it is well-formed, else the root of a new trace.
 * A GraphQL span is renamed `graphql <operation>` when it ends (see tracing-hooks.ts).
 */
export function startRequestSpan(
  tracer: Tracer,
  method: string,
  requestId: string,
  traceparent?: string | string[],
  route = '/graphql',
): Span {
  const parent = remoteSpanContext(traceparent);
  return tracer.startSpan(
    `${method} ${route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'switchboard.request_id': requestId,
      },
    },
    parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
  );
}

/** The span of one loader batch (`load <service>`): its upstream attempts hang under it. */
export function startBatchSpan(scope: TraceScope, service: string, keys: number): Span {
  return scope.tracer.startSpan(
    `load ${service}`,
    { attributes: { 'switchboard.service': service, 'switchboard.batch.keys': keys } },
    scope.context,
  );
}

/** The client span of one upstream attempt (`GET /products`), under the scope's span. */
export function startAttemptSpan(
  scope: TraceScope,
  service: string,
  replica: number,
  request: UpstreamRequest,
  retry: number,
  batchSize: number | undefined,
): Span {
  const span = scope.tracer.startSpan(
    `${request.method} ${request.route ?? request.path}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.path': request.route ?? request.path,
        'switchboard.service': service,
        // An index into the service's URLs: addresses stay out of telemetry, as in logs.
        'switchboard.replica': replica,
      },
    },
    scope.context,
  );
  // Semantic conventions: set on retries only (1 for the first retry).
  if (retry > 0) span.setAttribute('http.request.resend_count', retry);
  if (batchSize !== undefined) span.setAttribute('switchboard.batch_size', batchSize);
  return span;
}

/** Ends an attempt's span with what the attempt reported; a failed one gets status ERROR. */
export function endAttemptSpan(span: Span, event: UpstreamCallEvent, error?: unknown): void {
  if (event.status > 0) span.setAttribute('http.response.status_code', event.status);
  span.setAttribute('switchboard.outcome', event.outcome);
  if (event.outcome !== 'ok') markFailed(span, error ?? event.outcome);
  span.end();
}

/** Status ERROR with the error's code (or message); messages never carry addresses or bodies. */
export function markFailed(span: Span, error: unknown): void {
  const coded = error as { message?: string; extensions?: { code?: unknown } } | undefined;
  const code = coded?.extensions?.code;
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message:
      typeof error === 'string'
        ? error
        : `${typeof code === 'string' ? `${code}: ` : ''}${coded?.message ?? ''}`,
  });
}

/** The exporter, telling `onError` of failed exports (at most once a minute: a dead collector is one problem). */
function reportingFailures(
  exporter: SpanExporter,
  onError?: (error: Error | undefined) => void,
): SpanExporter {
  if (!onError) return exporter;
  let lastReport = Number.NEGATIVE_INFINITY;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        const now = performance.now();
        if (result.code !== ExportResultCode.SUCCESS && now - lastReport >= exportErrorIntervalMs) {
          lastReport = now;
          onError(result.error);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
