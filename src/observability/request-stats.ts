import type { AnswerFreshness, ServedFrom, UpstreamCallEvent, UpstreamRequest } from '../upstream/types.js';

/** One upstream call (or an answer given without one) as the fan-out report shows it. */
export interface FanoutEntry {
  service: string;
  method: string;
  path: string;
  /** Ids asked for in one batch call, when the call is a batch look-up. */
  batchSize?: number;
  status: number;
  outcome: UpstreamCallEvent['outcome'];
  /** Milliseconds, rounded to 0.1. */
  durationMs: number;
  /** Offset from the start of the request, so the report reads as a timeline. */
  startMs: number;
  /** 0 for a first attempt, 1 for its first retry… */
  retry: number;
  /** Answered without a call: from the HTTP cache, the entity cache or the stale-if-error store. */
  cacheHit: boolean;
  servedFrom?: ServedFrom;
  /** Records the entity cache answered for this batch without asking the service. */
  entityHits?: number;
}

/**
 * What one request cost, gathered as it runs: upstream calls and the wall time they took
 * (overlapping calls count once), for the log line, Server-Timing and the fan-out report, and
 * the freshness of every upstream answer, for the response cache.
 */
export interface RequestStats {
  readonly startedAt: number;
  upstreamCalls: number;
  upstreamFailures: number;
  /** Wall time during which at least one upstream call was in flight. */
  upstreamMs: number;
  operationName?: string;
  operationType?: string;
  /** The engine that ran the operation (graphql-jit or graphql-js). */
  engine?: string;
  errorCodes: string[];
  /** Present only when the caller asked for the fan-out report. */
  fanout?: FanoutEntry[];
  cacheHits: number;
  /** Shortest shared freshness of the upstream answers used (ms; Infinity when none). */
  sharedMs: number;
  /** Shortest freshness for a cache serving this caller only. */
  privateMs: number;
  /** Request headers some answer varied on (beyond content negotiation). */
  varies: Set<string>;
  /** Some answer may only be served to its caller again. */
  forCallerOnly: boolean;
  /** Calls back once no upstream attempt of the request is in flight (see CallObserver.settled). */
  settled(callback: () => void): void;
  /** Marks an upstream attempt as started; returns its start for `attemptEnded`. */
  attemptStarted(): number;
  attemptEnded(startedAt: number, event: UpstreamCallEvent): void;
  /** An answer given without calling the service: the report lists it. */
  served(service: string, request: UpstreamRequest, from: ServedFrom, batchSize?: number): void;
  freshness(freshness: AnswerFreshness): void;
}

// How long a loader waits for the request's other calls before asking anyway.
const settleAtMostMs = 50;

/** Creates the stats of one request; `withFanout` keeps every call for the report. */
export function createRequestStats(withFanout: boolean): RequestStats {
  let inFlight = 0;
  let busySince = 0;
  let waiting: (() => void)[] = [];
  const release = () => {
    const callbacks = waiting;
    waiting = [];
    for (const callback of callbacks) callback();
  };
  const offset = (at: number) => Math.round((at - stats.startedAt) * 10) / 10;
  const stats: RequestStats = {
    startedAt: performance.now(),
    upstreamCalls: 0,
    upstreamFailures: 0,
    upstreamMs: 0,
    errorCodes: [],
    cacheHits: 0,
    sharedMs: Number.POSITIVE_INFINITY,
    privateMs: Number.POSITIVE_INFINITY,
    varies: new Set(),
    forCallerOnly: false,
    freshness({ sharedMs, privateMs, varies, forCallerOnly }) {
      if (forCallerOnly) stats.forCallerOnly = true;
      stats.sharedMs = Math.min(stats.sharedMs, sharedMs);
      stats.privateMs = Math.min(stats.privateMs, privateMs);
      for (const name of varies) stats.varies.add(name);
    },
    served(service, request, from, batchSize) {
      stats.cacheHits += 1;
      const entry: FanoutEntry = {
        service,
        method: request.method,
        path: request.route ?? request.path,
        status: 200,
        outcome: 'ok',
        durationMs: 0,
        startMs: offset(performance.now()),
        retry: 0,
        cacheHit: true,
        servedFrom: from,
      };
      if (from === 'entity-cache') entry.entityHits = batchSize;
      else if (batchSize !== undefined) entry.batchSize = batchSize;
      stats.fanout?.push(entry);
    },
    settled(callback) {
      if (inFlight === 0) {
        process.nextTick(callback);
        return;
      }
      waiting.push(callback);
      // A slow call of another level must not hold this one back for long.
      setTimeout(() => {
        const index = waiting.indexOf(callback);
        if (index >= 0) {
          waiting.splice(index, 1);
          callback();
        }
      }, settleAtMostMs).unref();
    },
    attemptStarted() {
      const now = performance.now();
      if (inFlight++ === 0) busySince = now;
      return now;
    },
    attemptEnded(startedAt, event) {
      const now = performance.now();
      if (--inFlight === 0) {
        stats.upstreamMs += now - busySince;
        // The callbacks resolve loads whose calls start in this same tick: a tick later, so the
        // answer that just arrived has reached every loader first.
        if (waiting.length > 0) setImmediate(release);
      }
      stats.upstreamCalls += 1;
      if (event.outcome !== 'ok') stats.upstreamFailures += 1;
      if (!stats.fanout) return;
      const entry: FanoutEntry = {
        service: event.service,
        method: event.method,
        path: event.path,
        status: event.status,
        outcome: event.outcome,
        durationMs: Math.round(event.durationMs * 10) / 10,
        startMs: offset(startedAt),
        retry: event.retry,
        cacheHit: false,
      };
      if (event.batchSize !== undefined) entry.batchSize = event.batchSize;
      stats.fanout.push(entry);
    },
  };
  if (withFanout) stats.fanout = [];
  return stats;
}
