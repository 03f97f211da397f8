import type { Readable } from 'node:stream';

/** One call to a service, relative to the service's base URL. */
export interface UpstreamRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** Path with its leading slash, already URL-encoded (e.g. `/users`). */
  path: string;
  /**
   * The path as logs, metrics, spans and the fan-out report name it, when `path` carries
   * values (a `@rest` field's `/users/{$parent.userId}`): no argument value reaches a log.
   */
  route?: string;
  /** Query parameters; values are URL-encoded by the transport. */
  query?: Record<string, string>;
  /**
   * The query string exactly as a caller sent it (`?a=1&b=2`), instead of `query`: a proxied
   * route passes it on unchanged, without decoding and re-encoding it.
   */
  search?: string;
  /** JSON body (writes only). */
  body?: unknown;
  /**
   * A body streamed to the service as it arrives, never held whole (a proxied route's request
   * body). It can be sent once only: a call carrying one is never retried.
   */
  upload?: Readable;
  /** Keys this call batches, when its query names them otherwise than `ids`/`userIds` (a batched `@rest`). */
  batchSize?: number;
  /** Per-attempt timeout instead of the service's `timeoutMs` (a `@rest` field's own). */
  timeoutMs?: number;
  /**
   * Headers the call itself needs beyond the identity's allow-list: a contract header of the
   * operation (`idempotency-key`), or the few caller headers a proxied route passes on
   * (`accept`, `content-type`…), already filtered. Never `authorization` or `cookie`.
   */
  headers?: Record<string, string>;
  /** This call's own header transform (a route's `requestHeaders`), applied after the service's. */
  transform?: HeaderTransform;
  /** May be sent again after a failure (default: GET and HEAD only). A gRPC read says so. */
  idempotent?: boolean;
  /**
   * The answer is a stream (an event stream, a proxied body): it is handed over as soon as its
   * headers arrive, unread and unbounded, and no cache keeps it. The deadline bounds the headers only.
   */
  stream?: boolean;
  /** With `stream`: every status is an answer to pass on (a proxied route), a 5xx still a failure that carries it. */
  passThrough?: boolean;
  /**
   * With `stream`: held open indefinitely (an event stream). It gets a connection outside the
   * service's keep-alive pool: a thousand open streams must not take the `maxConnections`
   * sockets that calls need, and an idle stream is not cut by the pool's body timeout.
   */
  longLived?: boolean;
  /**
   * A batch look-up by id (`GET /products?ids=a,b`): its records may be cached one by one, and
   * a later batch asks only for the ids it lacks (the entity cache). `param` is the query
   * parameter holding the comma-separated ids, `key` the record field that holds each id.
   */
  entities?: { param: string; key: string };
}

/** `{ set: { name: value }, remove: [name] }`: applied after the allow-list (a `set` header goes even if the list would drop it). */
export interface HeaderTransform {
  set?: Record<string, string>;
  remove?: string[];
}

/** What a GraphQL request lets its upstream calls know, and how long they may take. */
export interface CallContext {
  requestId: string;
  clientName: string;
  traceparent?: string;
  userId?: string;
  userRole?: string;
  /** `performance.now()` by which the whole request must be answered. */
  deadline: number;
  /** Aborted when the caller went away: calls in flight stop, and none counts against a service. */
  signal?: AbortSignal;
  /** Watches this request's calls (fan-out report, spans, stale answers); absent when nobody does. */
  observer?: CallObserver;
}

/**
 * How a call ended. Only `timeout`, `unavailable` and `error` are the service's own failures;
 * the rest never count toward a breaker, a retry budget or an ejection (see `countsAgainstService`).
 * - `client_error`: the service refused the request (4xx).
 * - `invalid_request`: the request could not be formed (a header that can't be sent): nothing left the gateway.
 * - `internal`: the gateway failed before sending (a bug of ours): coded INTERNAL_SERVER_ERROR.
 * - `aborted`: the caller went away before the answer.
 * - `circuit_open`: the breaker is open: no call was made.
 */
export type UpstreamOutcome =
  | 'ok'
  | 'client_error'
  | 'timeout'
  | 'unavailable'
  | 'error'
  | 'circuit_open'
  | 'invalid_request'
  | 'internal'
  | 'aborted';

/** What one finished attempt reports (metrics, logs, the fan-out report). */
export interface UpstreamCallEvent {
  service: string;
  /** Index of the replica in the service's URL list: a bounded label, never an address. */
  replica: number;
  method: string;
  path: string;
  /** HTTP status (or gRPC status code), 0 when no answer arrived. */
  status: number;
  outcome: UpstreamOutcome;
  durationMs: number;
  /** 0 for the first attempt of a call, 1 for its first retry… */
  retry: number;
  /** Ids asked in one batch look-up, when the call is one. */
  batchSize?: number;
  /** The request the call served (for the failure log line). */
  requestId: string;
}

/** Where an answer came from when no attempt was made. */
export type ServedFrom = 'cache' | 'entity-cache' | 'stale';

/** How long an answer may be reused, for the response cache that is built from it. */
export interface AnswerFreshness {
  /** Milliseconds a shared cache may reuse it (0: not at all). */
  sharedMs: number;
  /** Milliseconds a cache serving only this caller may reuse it. */
  privateMs: number;
  /** Only its caller may be served it again (`private`, or storable only by a private cache). */
  forCallerOnly?: boolean;
  /**
   * The request headers it varies on beyond content negotiation (lower-case), e.g. `x-user-id`:
   * a cache must key by them, or not store it.
   */
  varies: string[];
}

/** The start of one attempt, for whoever watches the request. */
export interface AttemptStart {
  service: string;
  replica: number;
  request: UpstreamRequest;
  retry: number;
  batchSize: number | undefined;
}

/** Told when the attempt ends; may give the `traceparent` the service receives (its span). */
export interface AttemptWatch {
  traceparent?: string;
  end(event: UpstreamCallEvent, error?: unknown): void;
}

/**
 * Watches one request's upstream calls. Implemented by observability (stats, fan-out report,
 * spans, degraded fields); the upstream client only calls it, so it never imports it.
 */
export interface CallObserver {
  attempt?(start: AttemptStart): AttemptWatch;
  /** An answer given without calling the service (`batchSize`: the ids it answered). */
  served?(service: string, request: UpstreamRequest, from: ServedFrom, batchSize?: number): void;
  freshness?(freshness: AnswerFreshness): void;
  /** A failed call answered with the last good answer instead (stale-if-error). */
  stale?(service: string, value: unknown, ageSeconds: number): void;
  /** A loader batch: its calls are watched by the returned observer (a span per batch). */
  batch?(service: string, keys: number): { observer: CallObserver; end(error?: unknown): void };
  /**
   * Calls back once none of this request's calls is in flight (at once when none is): a loader
   * whose keys arrive from several calls of one batch level waits for them all, and asks once.
   */
  settled?(callback: () => void): void;
}

/** What the client does, per service, for metrics and logs. None may throw. */
export interface UpstreamEvents {
  call?(event: UpstreamCallEvent): void;
  retry?(service: string): void;
  breaker?(service: string, state: 'open' | 'halfOpen' | 'close'): void;
  eject?(service: string, replica: number): void;
  return?(service: string, replica: number): void;
  stale?(service: string): void;
  /** A look-up in a cache: `kind` tells which (`http` by URL, `entity` by id). */
  cache?(service: string, kind: 'http' | 'entity', hit: boolean): void;
}
