// Low-level HTTP for end-to-end tests: what fetch cannot do (chunked bodies, requests written on
// a connection that is already busy) and reading Prometheus text.
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { DemoServices } from '../../src/demo/services.js';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Send the body with `transfer-encoding: chunked` (no content-length), in chunks of this many
   * bytes, so the server cannot know its size before reading it.
   */
  chunkBytes?: number;
}

/** One request through node:http; resolves with the whole answer. */
export function rawRequest(baseUrl: string, options: RawRequestOptions): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const { body, chunkBytes } = options;
  const headers: Record<string, string> = { ...options.headers };
  if (body !== undefined) {
    if (chunkBytes === undefined) headers['content-length'] = String(Buffer.byteLength(body));
    else headers['transfer-encoding'] = 'chunked';
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, path: options.path, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body === undefined || chunkBytes === undefined) {
      req.end(body);
      return;
    }
    for (let offset = 0; offset < body.length; offset += chunkBytes) {
      req.write(body.slice(offset, offset + chunkBytes));
    }
    req.end();
  });
}

export interface ParsedResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** A plain TCP connection to write HTTP/1.1 requests on by hand, e.g. behind one still running. */
export interface RawConnection {
  write(text: string): void;
  /** Resolves once `count` complete responses (content-length framed) have arrived. */
  responses(count: number): Promise<ParsedResponse[]>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
  destroy(): void;
}

/** Opens a TCP connection to the gateway. */
export async function openConnection(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  const socket: Socket = connect(Number(port), hostname);
  let received = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    waiter?.();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    write: (text) => socket.write(text),
    closed,
    destroy: () => socket.destroy(),
    async responses(count) {
      for (;;) {
        const parsed = parseResponses(received);
        if (parsed.length >= count) return parsed.slice(0, count);
        await Promise.race([new Promise<void>((resolve) => (waiter = resolve)), closed]);
        if (socket.destroyed && parseResponses(received).length < count) {
          throw new Error(`connection closed after ${parseResponses(received).length} of ${count} responses`);
        }
      }
    },
  };
}

function parseResponses(bytes: Buffer): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: rest.subarray(end + 4, end + 4 + length).toString('utf8'),
    });
    rest = rest.subarray(end + 4 + length);
  }
}

/**
 * The value of one sample in Prometheus text, 0 when absent. `labels` must be given in the
 * order prom-client prints them (the metric's labelNames order).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const entries = Object.entries(labels);
  const selector =
    entries.length === 0 ? name : `${name}{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${selector} `)) return Number(line.slice(selector.length + 1));
  }
  return 0;
}

/** Reads the gateway's /metrics. */
export async function scrapeMetrics(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  return response.text();
}

/** Calls to the four services (health checks left out) since the records were last cleared. */
export function upstreamCalls(services: DemoServices): number {
  return (['users', 'orders', 'notifications', 'products'] as const).reduce(
    (sum, service) => sum + services.requests(service).length,
    0,
  );
}

/** Polls `condition` every 5 ms; rejects after `timeoutMs` so a broken test fails instead of hanging. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
