// A minimal HTTP/1.1 server over node:net for the stubs: keep-alive GETs, answered in one write.
// node:http builds an IncomingMessage, a ServerResponse and a header object per request and parses
// every header; for the stubs that is most of their cost, and every microsecond the stubs spend is
// a microsecond the server under test cannot use on this 2-CPU machine. Here a request costs a
// read, an indexOf for the end of its head, a slice of its request line and a write.
//
// It serves what the bench needs and no more: GET and HEAD without a body. Anything with a body
// (content-length or transfer-encoding) is answered 405 and the connection closed, since its body
// is never read. Requests pipelined on one connection are answered in order.
import { createServer, type Server, type Socket } from 'node:net';
import type { Body } from './prepared-data.js';

export interface WireReply {
  status: 200 | 400 | 404 | 405;
  /** Extra header lines, each ending in \r\n (e.g. `cache-control: no-store\r\n`). */
  headers: string;
  body: Body;
}

/** Answers one request from its method and request target (`/users?ids=u2`). */
export type WireHandler = (method: string, target: string) => WireReply;

export interface WireServerOptions {
  handler: WireHandler;
  /** Added before every answer (a timer per request). */
  latencyMs: number;
}

const reasons: Record<WireReply['status'], string> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
};
const endOfHead = Buffer.from('\r\n\r\n');
// Generous for a GET: undici's heads are ~300 bytes. Beyond it the client is cut off.
const maxHeadBytes = 16 * 1024;
const hasBody = /\r\n(content-length:\s*[1-9]|transfer-encoding:)/i;
const wantsClose = /\r\nconnection:\s*close/i;

// RFC 9110 wants a Date on every answer from a server with a clock; formatted once a second.
let date = new Date().toUTCString();
setInterval(() => {
  date = new Date().toUTCString();
}, 1000).unref();

/** A server that answers through `handler`; listen on it like any net.Server. */
export function createWireServer(options: WireServerOptions): Server {
  const { handler, latencyMs } = options;
  return createServer({ noDelay: true }, (socket) => {
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      let buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let start = 0;
      for (;;) {
        const end = buffer.indexOf(endOfHead, start);
        if (end < 0) break;
        const head = buffer.toString('latin1', start, end + 2);
        start = end + 4;
        if (!answer(socket, head)) return;
      }
      if (start < buffer.length) {
        buffer = buffer.subarray(start);
        if (buffer.length > maxHeadBytes) socket.destroy();
        else pending = Buffer.from(buffer);
      }
    });
    socket.on('error', () => socket.destroy());
  });

  /** Writes (or schedules) the answer to one request head; false when the connection ends. */
  function answer(socket: Socket, head: string): boolean {
    const lineEnd = head.indexOf('\r\n');
    const firstSpace = head.indexOf(' ');
    const secondSpace = head.indexOf(' ', firstSpace + 1);
    if (firstSpace < 0 || secondSpace < 0 || secondSpace > lineEnd) {
      socket.destroy();
      return false;
    }
    const method = head.slice(0, firstSpace);
    const closing = wantsClose.test(head);
    const refused = (method !== 'GET' && method !== 'HEAD') || hasBody.test(head);
    const reply: WireReply = refused
      ? { status: 405, headers: 'allow: GET, HEAD\r\n', body: errorBody('only GET and HEAD are served') }
      : handler(method, head.slice(firstSpace + 1, secondSpace));
    const bytes = serialise(reply, method === 'HEAD', closing || refused);
    const send = () => {
      if (socket.destroyed) return;
      if (closing || refused) socket.end(bytes);
      else socket.write(bytes);
    };
    if (latencyMs > 0) setTimeout(send, latencyMs);
    else send();
    return !(closing || refused);
  }
}

function serialise(reply: WireReply, headOnly: boolean, closing: boolean): Buffer {
  const head =
    `HTTP/1.1 ${reply.status} ${reasons[reply.status]}\r\ncontent-type: application/json\r\n` +
    `date: ${date}\r\ncontent-length: ${reply.body.length}\r\n${reply.headers}` +
    `${closing ? 'connection: close\r\n' : ''}\r\n`;
  // One allocation for head and body: the head is ASCII, so its length in bytes is its length.
  const bytes = Buffer.allocUnsafe(head.length + (headOnly ? 0 : reply.body.length));
  let at = bytes.write(head, 0, 'latin1');
  if (!headOnly) for (const piece of reply.body.pieces) at += piece.copy(bytes, at);
  return bytes;
}

/** The contract's error body: `{"error":"<message>"}`. */
export function errorBody(message: string): Body {
  const bytes = Buffer.from(JSON.stringify({ error: message }));
  return { pieces: [bytes], length: bytes.length };
}
