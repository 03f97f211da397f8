// One autocannon run against one server: every request for the user the rotation says (see
// user-modes.ts), every answer checked.
//
// Checking: every response's status and body go through autocannon's per-request `onResponse`;
// a response counts as a failure unless it is HTTP 200 and its JSON equals (after
// JSON.parse/stringify) the answer the correctness gate agreed on for that user. A 200 carrying
// `errors` is therefore a failure, as are connection errors and timeouts.
import autocannon, { type Client, type Request } from 'autocannon';
import { dashboardBody } from './dashboard.js';
import type { BenchUser, Rotation } from './user-modes.js';

export interface LoadTarget {
  url: string;
  /** Where each connection's users come from; advanced by what each connection sent. */
  rotation: Rotation;
  /** The normalised answer for a user (from the correctness gate). */
  expected(userId: string): string;
  /** Sent with every request (e.g. S3's x-api-key). */
  headers?: Record<string, string>;
  /** The POST body (default: the dashboard query). */
  body?: string;
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
  /** Fixed arrival rate (requests per second over all connections); closed loop when absent. */
  overallRate?: number;
}

export interface LoadResult {
  /** Completed responses. */
  requests: number;
  /** Requests written, including those still in flight when the run stopped (the server finishes them). */
  sent: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** From every response's own time (ms, not rounded to autocannon's whole-ms histogram). */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  failures: number;
  /** Failure reasons and how often each happened. */
  failureKinds: Record<string, number>;
  /** The first failing body, cut short, to show what went wrong. */
  firstFailure?: string;
}

// Requests each connection is handed per run (autocannon builds them all up front, and starts
// over at the first when they run out): 50 connections × 1,000 = 50,000 requests before any
// user comes back, five times the gateway's verified-token cache.
const windowPerConnection = (connections: number) => Math.max(1_000, Math.ceil(50_000 / connections));

/** Runs autocannon once, checks every answer and moves the rotation on. */
export function runLoad(target: LoadTarget, options: LoadOptions): Promise<LoadResult> {
  const failureKinds: Record<string, number> = {};
  let failures = 0;
  let firstFailure: string | undefined;
  const fail = (kind: string, body: string) => {
    failures++;
    failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
    firstFailure ??= `${kind}: ${body.slice(0, 300)}`;
  };
  const path = new URL(target.url).pathname;
  const requestFor = (user: BenchUser): Request => {
    const expected = target.expected(user.userId);
    return {
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${user.token}`,
        ...target.headers,
      },
      body: target.body ?? dashboardBody,
      onResponse: (status, body) => {
        const problem = checkAnswer(status, body, expected);
        if (problem) fail(problem, body);
      },
    };
  };

  let clientIndex = 0;
  let sent = 0;
  const sentPerConnection = new Array<number>(options.connections).fill(0);
  const window = windowPerConnection(options.connections);
  const setupClient = (client: Client) => {
    const index = clientIndex++;
    client.on('request', () => {
      sent++;
      sentPerConnection[index] = (sentPerConnection[index] ?? 0) + 1;
    });
    if (options.overallRate) staggerRate(client as unknown as RatedClient, index / options.connections);
    client.setRequests(target.rotation.window(index, window).map(requestFor));
  };

  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: options.connections,
        duration: options.durationSeconds,
        requests: [requestFor(target.rotation.users[0]!)],
        setupClient,
        ...(options.overallRate ? { overallRate: options.overallRate, ignoreCoordinatedOmission: true } : {}),
      },
      (error, result) => {
        target.rotation.advance(sentPerConnection);
        if (error) {
          reject(error);
          return;
        }
        // Connection errors and timeouts never reach onResponse.
        if (result.errors > 0) {
          failures += result.errors;
          failureKinds['connection error or timeout'] = result.errors;
        }
        const sorted = Float64Array.from(latencies).sort();
        const total = result.requests.total;
        resolve({
          requests: total,
          sent: Math.max(sent, total),
          durationSeconds: result.duration,
          requestsPerSecond: total / result.duration,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          meanMs: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
          failures,
          failureKinds,
          ...(firstFailure ? { firstFailure } : {}),
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      latencies.push(responseTimeMs);
    });
  });
}

/** The fields of autocannon 9's Client (lib/httpClient.js) that its per-connection rate uses. */
interface RatedClient {
  rate?: number;
  reqsMadeThisSecond: number;
  paused: boolean;
  destroyed: boolean;
  rateInterval?: NodeJS.Timeout;
  cer?: unknown;
  _doRequest(cer?: unknown): void;
}

/**
 * autocannon's rate (`-R`) gives each connection a quota per second and refills every quota on
 * a 1 s interval started when the connections are created, all in the same tick: every second
 * begins with all 50 connections firing at once, and latency then measures those bursts, not a
 * steady arrival rate. This shifts connection `phase` (0…1) of the way into the second: its first
 * request waits for its phase, and its quota refills at that phase every second, so arrivals
 * spread evenly over each second. Same requests, same rate; only the bursts go.
 */
function staggerRate(client: RatedClient, phase: number): void {
  if (!client.rate) return;
  // Called before the constructor sends the first request: an exhausted quota makes it wait.
  client.reqsMadeThisSecond = Number.POSITIVE_INFINITY;
  const refill = () => {
    client.reqsMadeThisSecond = 0;
    if (client.paused) client._doRequest(client.cer);
    client.paused = false;
  };
  setTimeout(() => {
    if (client.destroyed) return;
    clearInterval(client.rateInterval);
    client.rateInterval = setInterval(refill, 1000);
    refill();
  }, phase * 1000);
}

/** Why an answer is wrong, or undefined when it is the expected one. */
export function checkAnswer(status: number, body: string, expected: string): string | undefined {
  if (status !== 200) return `HTTP ${status}`;
  // Fast path: the exact expected text (Apollo ends its body with a newline).
  const text = body.endsWith('\n') ? body.slice(0, -1) : body;
  if (text === expected) return undefined;
  let parsed: { errors?: unknown };
  try {
    parsed = JSON.parse(body) as { errors?: unknown };
  } catch {
    return 'body is not JSON';
  }
  if (parsed.errors !== undefined) return '200 with errors';
  return JSON.stringify(parsed) === expected ? undefined : '200 with other data';
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
