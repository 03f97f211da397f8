// The notifications service's event stream for the subscriptions bench, in a process of its own:
// GET /notifications/events?userId= (server-sent events, as docs/upstreams.openapi.yaml says),
// GET /notifications (an empty list: the gateway's baseline look-up before a stream's first event)
// and a control endpoint. It prepares nothing per event but one short JSON line, so its cost
// stays out of the gateway's.
//
// Control: GET /_bench/streams → {"open": n}; POST /_bench/emit?rate=R&seconds=S emits R events a
// second for S seconds, each to a random user with an open stream, and answers {"emitted": n}
// when done. Each event's `message` is `emitted:<epoch ms>`: the moment it was written, which the
// bench's clients subtract from the moment they receive it.
import { createServer, type ServerResponse } from 'node:http';
import { announceReady, exitWithParent } from '../dashboard.js';

exitWithParent();

const streams = new Map<string, Set<ServerResponse>>();
let open = 0;
let nextId = 1;
const now = () => performance.timeOrigin + performance.now();

function send(userId: string): boolean {
  const set = streams.get(userId);
  if (!set || set.size === 0) return false;
  const id = `n${nextId++}`;
  const notification = {
    id,
    userId,
    kind: 'SYSTEM',
    message: `emitted:${now().toFixed(3)}`,
    read: false,
    createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const text = `id: ${id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`;
  for (const response of set) response.write(text);
  return true;
}

async function emit(rate: number, seconds: number): Promise<number> {
  const users = () => [...streams.keys()];
  let emitted = 0;
  const started = performance.now();
  const total = Math.round(rate * seconds);
  // Every 10 ms, what is due by then: an even rate without a timer per event.
  while (emitted < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    const list = users();
    while (emitted < due && list.length > 0) {
      if (send(list[Math.floor(Math.random() * list.length)]!)) emitted += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return emitted;
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://stub');
  if (url.pathname === '/notifications/events') {
    const userId = url.searchParams.get('userId') ?? '';
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    response.flushHeaders();
    const set = streams.get(userId) ?? new Set<ServerResponse>();
    streams.set(userId, set);
    set.add(response);
    open += 1;
    response.once('close', () => {
      set.delete(response);
      open -= 1;
      if (set.size === 0) streams.delete(userId);
    });
    return;
  }
  if (url.pathname === '/notifications' && request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    return;
  }
  if (url.pathname === '/_bench/streams') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ open }));
    return;
  }
  if (url.pathname === '/_bench/emit' && request.method === 'POST') {
    const rate = Number(url.searchParams.get('rate'));
    const seconds = Number(url.searchParams.get('seconds'));
    void emit(rate, seconds).then((emitted) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ emitted })),
    );
    return;
  }
  if (url.pathname === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
});
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  announceReady({ url: `http://127.0.0.1:${port}` });
});
