import type { Role } from '../auth/identity.js';
import type { RequestStats } from '../observability/request-stats.js';
import type { TraceScope } from '../observability/tracing.js';

/** One call to a REST service, relative to the service's base URL. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Path with its leading slash, already URL-encoded (e.g. `/users`). */
  path: string;
  /** Query parameters; values are URL-encoded by the client. */
  query?: Record<string, string>;
  /** JSON body (POST only). */
  body?: unknown;
  /** Keys this call batches, when its query names them otherwise than `ids`/`userIds` (a batched `@rest`). */
  batchSize?: number;
  /** Per-attempt timeout instead of the service's `timeoutMs` (a `@rest` field's own). */
  timeoutMs?: number;
  /** Contract headers the operation itself needs (e.g. `idempotency-key`), never caller headers. */
  headers?: Record<string, string>;
}

/** What a GraphQL request lets its upstream calls know and how long they may take. */
export interface CallContext {
  requestId: string;
  clientName: string;
  traceparent?: string;
  userId?: string;
  userRole?: Role;
  /** `performance.now()` by which the whole GraphQL request must be answered. */
  deadline: number;
  /** The request's cost accounting (log line, Server-Timing, fan-out report). */
  stats?: RequestStats;
  /** Present when the request is traced: each attempt's span hangs under `trace.span`. */
  trace?: TraceScope;
  /** Told when a failed call was answered from the stale-if-error cache instead. */
  onStale?: (service: string, value: unknown, ageSeconds: number) => void;
}

/** How an upstream attempt ended; `circuit_open` means none was made. */
export type UpstreamOutcome = 'ok' | 'client_error' | 'timeout' | 'unavailable' | 'error' | 'circuit_open';

/** What one finished upstream attempt reports to observers (metrics, logs). */
export interface UpstreamCallEvent {
  service: string;
  /** Index of the replica in the service's URL list: a bounded label, never an address. */
  replica: number;
  method: string;
  path: string;
  /** HTTP status, or 0 when no response arrived. */
  status: number;
  outcome: UpstreamOutcome;
  durationMs: number;
  /** The request the call served (for the failure log line). */
  requestId: string;
}
