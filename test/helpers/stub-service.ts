// A hand-written upstream for answers the demo services' faults cannot produce (bodies that
// break the contract in one field, chunked bodies without content-length, bodies that stall).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StubService {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Requests received so far, /health included. */
  requests: { method: string; url: string }[];
  /** Replaces the handler for requests arriving from now on. */
  handle(handler: StubHandler): void;
  /** Closes the server and destroys every socket, stalled ones included. */
  close(): Promise<void>;
}

export type StubHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Starts a real node:http server on 127.0.0.1, port 0; /health always answers 200. */
export async function startStubService(handler: StubHandler): Promise<StubService> {
  let current = handler;
  const requests: StubService['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? 'GET', url: request.url ?? '/' });
    if (request.url === '/health') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    current(request, response);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/** Answers 200 application/json with `body` serialised. */
export function sendJson(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}
