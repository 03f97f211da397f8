import { type Dispatcher, Pool } from 'undici';
import { ErrorCode } from '../../errors.js';
import { mapTransportError, type UpstreamFailure, upstreamFailure } from '../errors.js';
import type { Answer, Dispatch, Exchange } from '../exchange.js';
import type { Replica } from '../replica-set.js';
import { parseJson, readBounded, serviceMessageOf } from './read-body.js';

/** One replica's keep-alive pool and the path prefix of its base URL (e.g. `/api`). */
export interface HttpConnection {
  pool: Pool;
  /** Long-lived streams' own connections (one each, as many as there are streams). */
  streams: Pool;
  /** The `host` header when `pool` reaches one address of a host name (DNS discovery). */
  host?: string;
  basePath: string;
  close(): Promise<void>;
}

/**
 * An undici Pool for one base URL. With `host`, the URL names one address a host name resolved
 * to: requests carry that host, and TLS verifies it.
 */
export function connectHttp(url: string, maxConnections: number, host?: string): HttpConnection {
  const parsed = new URL(url);
  const servername = host === undefined ? undefined : new URL(`${parsed.protocol}//${host}`).hostname;
  const pool = new Pool(parsed.origin, {
    ...(servername ? { connect: { servername } } : {}),
    connections: maxConnections,
    // Below Node's default server keep-alive (5 s), so we close idle sockets before the
    // service does and never write a request onto a socket it is closing.
    keepAliveTimeout: 4_000,
    // Backstops only: exact per-attempt deadlines come from the deadline layer's AbortSignal.
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  // Unbounded in number (the subscriptions' own limits bound them) and never timed out while
  // open: an event stream is idle between events; the service's pings and a drop end it.
  const streams = new Pool(parsed.origin, {
    ...(servername ? { connect: { servername } } : {}),
    connections: null,
    headersTimeout: 60_000,
    bodyTimeout: 0,
  });
  return {
    pool,
    streams,
    host,
    basePath: parsed.pathname.replace(/\/+$/, ''),
    close: async () => {
      await Promise.all([pool.close(), streams.destroy()]);
    },
  };
}

/**
 * The only layer that knows HTTP: sends the exchange on its replica's pool, reads at most
 * `maxResponseBytes`, and turns the answer into a parsed value or a coded failure. Only 2xx JSON
 * succeeds; 5xx and bodies off the contract are the service's failures, 4xx is its refusal.
 */
export function httpTransport(maxResponseBytes: number): Dispatch {
  return async (exchange: Exchange): Promise<Answer> => {
    const { service, request } = exchange;
    const connection = (exchange.replica as Replica<HttpConnection>).connection;
    try {
      const pool = request.stream && request.longLived ? connection.streams : connection.pool;
      const response = await pool.request({
        method: request.method,
        path: `${connection.basePath}${request.path}${request.search ?? queryString(request.query)}`,
        headers: {
          ...exchange.headers,
          ...(connection.host ? { host: connection.host } : {}),
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        // A streamed upload goes on as it arrives, with the socket's backpressure.
        body: request.body === undefined ? request.upload : JSON.stringify(request.body),
        signal: exchange.signal,
      });
      const status = response.statusCode;
      if (request.stream) return streamed(service, response, request.passThrough === true);
      const text = await readBounded(service, response, maxResponseBytes);
      if (status >= 500) {
        throw upstreamFailure(
          service,
          ErrorCode.UPSTREAM_ERROR,
          `${service} failed with HTTP ${status}`,
          'error',
          status,
        );
      }
      if (status < 200 || status >= 300) {
        // 4xx: the request was refused. Resolvers decide what it means (BAD_USER_INPUT on a
        // mutation); by default it is a gateway bug, reported as UPSTREAM_ERROR.
        throw refused(service, status, serviceMessageOf(text));
      }
      return {
        value: parseJson(service, text, response.headers['content-type']),
        status,
        headers: response.headers,
        bytes: Buffer.byteLength(text),
      };
    } catch (error) {
      throw mapTransportError(service, error, exchange.budgetMs ?? 0, exchange.ctx.signal?.aborted === true);
    }
  };
}

/**
 * A streamed answer, handed over with its body unread. A 5xx is still the service's failure (its
 * breaker counts it, a read may be retried): with `passThrough` (a proxied route) the failure
 * carries the answer, so the caller can pass it on as it is; otherwise its body is dropped. Other
 * non-2xx answers are refusals, unless passed through.
 */
async function streamed(
  service: string,
  response: Dispatcher.ResponseData,
  passThrough: boolean,
): Promise<Answer> {
  const status = response.statusCode;
  const answer: Answer = {
    value: undefined,
    status,
    headers: response.headers,
    bytes: 0,
    body: response.body,
  };
  if (status >= 500) {
    const failure = upstreamFailure(
      service,
      ErrorCode.UPSTREAM_ERROR,
      `${service} failed with HTTP ${status}`,
      'error',
      status,
    );
    if (passThrough) failure.answer = answer;
    else await response.body.dump();
    throw failure;
  }
  if (passThrough || (status >= 200 && status < 300)) return answer;
  await response.body.dump();
  throw refused(service, status, undefined);
}

function refused(service: string, status: number, message: string | undefined): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.UPSTREAM_ERROR,
    `${service} refused the request with HTTP ${status}`,
    'client_error',
    status,
    message,
  );
}

/** `?a=1&b=2` for a query, '' without one; every name and value percent-encoded. */
export function queryString(query: Record<string, string> | undefined): string {
  if (!query) return '';
  let out = '';
  for (const name in query) {
    out += `${out ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(query[name]!)}`;
  }
  return out;
}

/** GET /health on an ejected replica: 200 within a second brings it back. */
export async function probeHttp(connection: HttpConnection): Promise<boolean> {
  try {
    const response = await connection.pool.request({
      method: 'GET',
      path: `${connection.basePath}/health`,
      signal: AbortSignal.timeout(1_000),
    });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}
