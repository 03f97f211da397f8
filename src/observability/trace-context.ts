import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// W3C Trace Context parsing and formatting is OpenTelemetry's, not ours: version, id lengths,
// all-zero ids and flags are checked the way every other tracer checks them.
const propagator = new W3CTraceContextPropagator();

/** The caller's `traceparent` as a remote span context, when it is well-formed. */
export function remoteSpanContext(value: string | string[] | undefined): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const extracted = propagator.extract(ROOT_CONTEXT, { traceparent: value }, defaultTextMapGetter);
  const spanContext = trace.getSpanContext(extracted);
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The `traceparent` header that names `spanContext` as the parent. */
export function traceparentOf(spanContext: SpanContext): string {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter);
  return carrier.traceparent!;
}

/**
 * The caller's `traceparent`, re-formatted when it is well-formed, else undefined: the gateway
 * forwards a caller's trace to the services, never junk.
 */
export function saneTraceparent(value: string | string[] | undefined): string | undefined {
  const spanContext = remoteSpanContext(value);
  return spanContext ? traceparentOf(spanContext) : undefined;
}
