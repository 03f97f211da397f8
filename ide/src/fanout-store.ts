// The last request's fan-out report, shared by the fetcher (which writes it) and the Fan-out
// panel (which renders it). One page, one store: it lives as long as the page.

/** One upstream call, or an answer given without one, as `extensions.fanout.calls` lists it. */
export interface FanoutCall {
  service: string;
  method: string;
  path: string;
  batchSize?: number;
  status: number;
  outcome: string;
  durationMs: number;
  startMs: number;
  retry?: number;
  cacheHit: boolean;
  servedFrom?: string;
  entityHits?: number;
}

/** A service's state after the request: its breaker and replicas out of rotation. */
export interface FanoutService {
  service: string;
  breaker?: string;
  ejectedReplicas?: number;
}

/** `extensions.fanout`; the gateway may add fields, which the panel ignores. */
export interface FanoutReport {
  engine?: string;
  upstreamCalls?: number;
  upstreamMs?: number;
  calls: FanoutCall[];
  services?: FanoutService[];
}

/** A GraphQL error as the panel needs it: which service it came from, and its code. */
export interface ReportedError {
  message: string;
  path?: (string | number)[];
  code?: string;
  service?: string;
}

/** What the panel shows about the last request the editor ran. */
export interface LastRequest {
  operationName?: string;
  status: number;
  /** Absent when the gateway sent none (production, for non-admins). */
  fanout?: FanoutReport;
  errors: ReportedError[];
  at: Date;
}

let last: LastRequest | undefined;
const listeners = new Set<() => void>();

export const fanoutStore = {
  get: (): LastRequest | undefined => last,
  set(request: LastRequest): void {
    last = request;
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** Reads the parts of a response the panel shows, tolerating anything a response may hold. */
export function lastRequestOf(status: number, body: unknown, operationName?: string): LastRequest {
  const result = (typeof body === 'object' && body !== null ? body : {}) as {
    errors?: { message?: unknown; path?: unknown; extensions?: Record<string, unknown> }[];
    extensions?: { fanout?: unknown };
  };
  const fanout = result.extensions?.fanout as FanoutReport | undefined;
  const errors = (Array.isArray(result.errors) ? result.errors : []).map((error) => ({
    message: String(error.message ?? ''),
    path: Array.isArray(error.path) ? (error.path as (string | number)[]) : undefined,
    code: typeof error.extensions?.code === 'string' ? error.extensions.code : undefined,
    service: typeof error.extensions?.service === 'string' ? error.extensions.service : undefined,
  }));
  return {
    operationName,
    status,
    fanout: fanout && Array.isArray(fanout.calls) ? fanout : undefined,
    errors,
    at: new Date(),
  };
}
