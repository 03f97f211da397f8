import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault } from './faults.js';
import { answerWithFault, validateFault } from './faults.js';
import type { DemoReply, DemoServerName, DemoStore } from './routes.js';
import { errorReply, routeRequest } from './routes.js';
import type { DemoServer, RecordedRequest } from './services.js';

export interface DemoServerOptions {
  service: DemoServerName;
  store: DemoStore;
  host: string;
  port: number;
  latencyMs: number;
  maxRecordedRequests: number;
}

/** A demo server plus the lifecycle that only startDemoServices may drive. */
export interface ManagedServer {
  readonly api: DemoServer;
  start(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
// Past the limit the body is still read (and dropped) so the client can read the 413, but a
// client that keeps sending far beyond it is cut off instead of being read forever.
const MAX_DRAINED_BYTES = 16 * MAX_BODY_BYTES;
const TOO_LARGE = Symbol('too large');
/** The services whose answers belong to one user, and so take DemoStore.userDataCacheControl. */
const userDataServices: ReadonlySet<DemoServerName> = new Set(['users', 'orders', 'notifications']);

/** Creates one HTTP server for one service replica; it listens only once start() is called. */
export function createDemoServer(options: DemoServerOptions): ManagedServer {
  const { service, store, host } = options;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const shutdown = new AbortController();
  let port = options.port;
  let latencyMs = options.latencyMs;
  let fault: Fault | null = null;
  let closed = false;

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket: Socket) => {
    // A connection can slip in while refusing starts; it must see the fault, not an answer.
    if (closed || fault?.kind === 'refuse') {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Only a failed re-listen after a refuse fault lands here; the server then simply stays refused.
  server.on('error', () => {});

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const record = recordArrival(request);
    response.on('finish', () => {
      record.answeredAt = performance.now();
    });
    // The event stream is long-lived and written over time, so it does not go through route().
    if (service === 'notifications' && record.method === 'GET' && record.path === '/notifications/events') {
      if (fault?.kind === 'refuse') return void response.destroy();
      if (fault && fault.kind !== 'slow') return answerWithFault(fault, response);
      const userId = record.query.userId;
      if (userId === undefined || !store.data.users.has(userId)) {
        return send(response, errorReply(400, 'userId must name a known user'));
      }
      store.events.attach(request, response, userId);
      return;
    }
    // Snapshot: a request keeps the fault and latency that were set when it arrived.
    const current = fault;
    const delayMs = latencyMs + (current?.kind === 'slow' ? current.delayMs : 0);
    const body = await readBody(request);
    if (body === undefined) return;
    if (typeof body === 'string') record.body = parseJson(body);
    if (delayMs > 0) {
      try {
        await sleep(delayMs, undefined, { signal: shutdown.signal });
      } catch {
        return;
      }
    }
    if (current?.kind === 'refuse') {
      response.destroy();
    } else if (current && current.kind !== 'slow') {
      answerWithFault(current, response);
    } else {
      send(
        response,
        body === TOO_LARGE ? errorReply(413, `request body exceeds ${MAX_BODY_BYTES} bytes`) : route(body),
      );
    }

    function route(rawBody: string): DemoReply {
      try {
        const { method, path, query, headers } = record;
        const reply = routeRequest(service, { method, path, query, headers, rawBody }, store);
        if (
          store.userDataCacheControl &&
          userDataServices.has(service) &&
          method === 'GET' &&
          reply.status === 200
        ) {
          reply.headers = { ...reply.headers, 'cache-control': store.userDataCacheControl };
        }
        return reply;
      } catch {
        return errorReply(500, 'internal error in the demo service');
      }
    }
  }

  function recordArrival(request: IncomingMessage): RecordedRequest {
    const receivedAt = performance.now();
    const target = request.url ?? '/';
    const queryStart = target.indexOf('?');
    const record: RecordedRequest = {
      method: request.method ?? 'GET',
      path: queryStart === -1 ? target : target.slice(0, queryStart),
      query: Object.fromEntries(new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1))),
      headers: { ...request.headers },
      body: undefined,
      receivedAt,
    };
    // Halving rather than shifting one at a time keeps a long benchmark run cheap.
    if (requests.length >= options.maxRecordedRequests) requests.splice(0, requests.length >> 1);
    requests.push(record);
    return record;
  }

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        const message = `demo ${service} service could not listen on ${host}:${port}: ${error.message}`;
        // Keep the code so callers can tell EADDRINUSE apart and suggest another port.
        reject(Object.assign(new Error(message, { cause: error }), { code: error.code }));
      };
      const onListening = () => {
        server.off('error', onError);
        const address = server.address();
        // Port 0 picks a free port once; re-listening after a refuse fault must reuse it.
        if (address && typeof address === 'object') port = address.port;
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }

  function destroySockets(): void {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  }

  const api: DemoServer = {
    service,
    get url() {
      return `http://${urlHost(host)}:${port}`;
    },
    requests,
    setFault(next) {
      validateFault(next);
      const wasRefusing = fault?.kind === 'refuse';
      fault = next;
      if (closed) return;
      if (next?.kind === 'refuse' && !wasRefusing) {
        server.close();
        destroySockets();
      } else if (wasRefusing && next?.kind !== 'refuse') {
        listen().catch(() => {});
      }
    },
    setLatencyMs(ms) {
      if (!(Number.isFinite(ms) && ms >= 0))
        throw new TypeError(`latencyMs must be a number >= 0, got ${ms}`);
      latencyMs = ms;
    },
  };

  return {
    api,
    start: listen,
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      shutdown.abort();
      // The callback fires once every connection is gone, which destroySockets guarantees; a
      // server that is not listening (refuse fault) reports an error there, which is fine here.
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      destroySockets();
      return done;
    },
  };
}

/** The body as text; TOO_LARGE past the limit; undefined when the client went away first. */
function readBody(request: IncomingMessage): Promise<string | typeof TOO_LARGE | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAINED_BYTES) request.destroy();
    });
    request.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? TOO_LARGE : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', () => resolve(undefined));
    request.on('close', () => resolve(undefined));
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, reply: DemoReply): void {
  const body = JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

/** A URL host that clients can connect to, even when the server listens on every interface. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
