import type { AttemptWatch, CallObserver } from '../upstream/types.js';
import type { DegradedTracker } from './degraded.js';
import type { RequestStats } from './request-stats.js';
import { traceparentOf } from './trace-context.js';
import {
  endAttemptSpan,
  markFailed,
  scopeOf,
  startAttemptSpan,
  startBatchSpan,
  type TraceScope,
} from './tracing.js';

/** What watches one request's upstream calls: any of them may be absent. */
export interface ObserverParts {
  stats?: RequestStats;
  /** When the request is traced: spans of batches and attempts hang under its span. */
  trace?: TraceScope;
  /** When stale-if-error is configured: records served stale are marked for `extensions.degraded`. */
  degraded?: DegradedTracker;
}

/**
 * The request's observer of upstream calls: feeds the stats (log line, Server-Timing, fan-out
 * report, response-cache freshness), the spans (an attempt's span id is the `traceparent` its
 * service receives) and the degraded-field tracker. Undefined when nothing watches.
 */
export function createCallObserver(parts: ObserverParts): CallObserver | undefined {
  const { stats, trace, degraded } = parts;
  if (!stats && !trace && !degraded) return undefined;
  return {
    attempt(start): AttemptWatch {
      const startedAt = stats?.attemptStarted() ?? 0;
      const span =
        trace &&
        startAttemptSpan(trace, start.service, start.replica, start.request, start.retry, start.batchSize);
      return {
        traceparent: span ? traceparentOf(span.spanContext()) : undefined,
        end(event, error) {
          stats?.attemptEnded(startedAt, event);
          if (span) endAttemptSpan(span, event, error);
        },
      };
    },
    served: stats && ((service, request, from, batchSize) => stats.served(service, request, from, batchSize)),
    freshness: stats && ((freshness) => stats.freshness(freshness)),
    settled: stats && ((callback) => stats.settled(callback)),
    stale: degraded && ((service, value, ageSeconds) => degraded.markStale(service, value, ageSeconds)),
    batch: trace
      ? (service, keys) => {
          const span = startBatchSpan(trace, service, keys);
          return {
            observer: createCallObserver({ ...parts, trace: scopeOf(trace.tracer, span) })!,
            end(error) {
              if (error !== undefined) markFailed(span, error);
              span.end();
            },
          };
        }
      : undefined,
  };
}
