import type { UpstreamCallEvent } from '../upstream/types.js';

/** One upstream call as the fan-out report shows it. */
export interface FanoutEntry {
  service: string;
  method: string;
  path: string;
  /** Ids asked for in one batch call (`ids` / `userIds`), when the call is a batch look-up. */
  batchSize?: number;
  status: number;
  outcome: UpstreamCallEvent['outcome'];
  /** Milliseconds, rounded to 0.1. */
  durationMs: number;
  /** Offset from the start of the request, so the report reads as a timeline. */
  startMs: number;
  cacheHit: boolean;
}

/**
 * What one request cost, gathered as it runs: upstream calls and the wall time they took
 * (overlapping calls count once), for the log line, Server-Timing and the fan-out report.
 */
export interface RequestStats {
  readonly startedAt: number;
  upstreamCalls: number;
  upstreamFailures: number;
  /** Wall time during which at least one upstream call was in flight. */
  upstreamMs: number;
  operationName?: string;
  operationType?: string;
  errorCodes: string[];
  /** Present only when the caller asked for the fan-out report. */
  fanout?: FanoutEntry[];
  /** Marks an upstream call as started; returns what `callEnded` needs. */
  callStarted(): number;
  callEnded(
    startedAt: number,
    event: UpstreamCallEvent,
    batchSize: number | undefined,
    cacheHit: boolean,
  ): void;
  /** An answer served from the HTTP cache: no call made, but the report lists it. */
  cacheHit(
    service: string,
    request: { method: string; path: string; query?: Record<string, string>; batchSize?: number },
  ): void;
  cacheHits: number;
  /** Shortest freshness of the upstream GET answers used (ms; Infinity when none). */
  freshMs: number;
  /** Whether any of them was meant for one user only. */
  sawPrivate: boolean;
  noteFreshness(ms: number, isPrivate: boolean): void;
}

/** Creates the stats of one request; `withFanout` keeps every call for the report. */
export function createRequestStats(withFanout: boolean): RequestStats {
  let inFlight = 0;
  let busySince = 0;
  const stats: RequestStats = {
    startedAt: performance.now(),
    upstreamCalls: 0,
    upstreamFailures: 0,
    upstreamMs: 0,
    errorCodes: [],
    cacheHits: 0,
    freshMs: Number.POSITIVE_INFINITY,
    sawPrivate: false,
    noteFreshness(ms, isPrivate) {
      stats.freshMs = Math.min(stats.freshMs, ms);
      if (isPrivate) stats.sawPrivate = true;
    },
    cacheHit(service, request) {
      stats.cacheHits += 1;
      const batchSize = request.batchSize ?? batchSizeOf(request.query);
      stats.fanout?.push({
        service,
        method: request.method,
        path: request.path,
        ...(batchSize === undefined ? {} : { batchSize }),
        status: 200,
        outcome: 'ok',
        durationMs: 0,
        startMs: Math.round((performance.now() - stats.startedAt) * 10) / 10,
        cacheHit: true,
      });
    },
    callStarted() {
      const now = performance.now();
      if (inFlight++ === 0) busySince = now;
      return now;
    },
    callEnded(startedAt, event, batchSize, cacheHit) {
      const now = performance.now();
      if (--inFlight === 0) stats.upstreamMs += now - busySince;
      stats.upstreamCalls += 1;
      if (event.outcome !== 'ok') stats.upstreamFailures += 1;
      stats.fanout?.push({
        service: event.service,
        method: event.method,
        path: event.path,
        ...(batchSize === undefined ? {} : { batchSize }),
        status: event.status,
        outcome: event.outcome,
        durationMs: Math.round(event.durationMs * 10) / 10,
        startMs: Math.round((startedAt - stats.startedAt) * 10) / 10,
        cacheHit,
      });
    },
  };
  if (withFanout) stats.fanout = [];
  return stats;
}

/** The number of ids a batch look-up asks for, from its query (`ids=a,b,c` or `userIds=…`). */
export function batchSizeOf(query: Record<string, string> | undefined): number | undefined {
  const list = query?.ids ?? query?.userIds;
  return list === undefined ? undefined : list.split(',').length;
}
