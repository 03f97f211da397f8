import type { ServerResponse } from 'node:http';

/** A failure a demo server can be told to simulate, for every path including /health. */
export type Fault =
  /** Accept the request and never answer (until the server closes). */
  | { kind: 'hang' }
  /** Answer correctly, after delayMs. */
  | { kind: 'slow'; delayMs: number }
  /** Stop listening: new connections get ECONNREFUSED; clearing the fault listens on the same port. */
  | { kind: 'refuse' }
  /** Write 200 headers and part of a JSON body, then destroy the socket. */
  | { kind: 'reset' }
  /** Answer this status with {"error":"injected failure"}. */
  | { kind: 'status'; status: number }
  /** 200, application/json, a body that is not JSON. */
  | { kind: 'malformed' }
  /** 200, text/html: what a misconfigured proxy in front of a service answers. */
  | { kind: 'html' }
  /** 200, application/json, a valid JSON array of about `bytes` bytes. */
  | { kind: 'huge'; bytes: number };

/** The faults that replace the answer itself; slow and refuse act around it. */
export type AnswerFault = Exclude<Fault, { kind: 'slow' } | { kind: 'refuse' }>;

// Generous, but a typo like 1e10 must not take the test machine's memory down with it.
const MAX_HUGE_BYTES = 256 * 1024 * 1024;

/** Throws a TypeError naming the bad field when a fault cannot be applied. */
export function validateFault(fault: Fault | null): void {
  if (fault === null) return;
  switch (fault.kind) {
    case 'slow':
      if (!(Number.isFinite(fault.delayMs) && fault.delayMs >= 0)) {
        throw new TypeError(`fault slow: delayMs must be a number >= 0, got ${fault.delayMs}`);
      }
      return;
    case 'status':
      if (!(Number.isInteger(fault.status) && fault.status >= 200 && fault.status <= 599)) {
        throw new TypeError(`fault status: status must be an integer from 200 to 599, got ${fault.status}`);
      }
      return;
    case 'huge':
      if (!(Number.isInteger(fault.bytes) && fault.bytes >= 0 && fault.bytes <= MAX_HUGE_BYTES)) {
        throw new TypeError(
          `fault huge: bytes must be an integer from 0 to ${MAX_HUGE_BYTES}, got ${fault.bytes}`,
        );
      }
      return;
    case 'hang':
    case 'refuse':
    case 'reset':
    case 'malformed':
    case 'html':
      return;
    default:
      throw new TypeError(`unknown fault kind: ${(fault as { kind?: unknown }).kind}`);
  }
}

/** Answers, or deliberately fails to answer, as the fault says. */
export function answerWithFault(fault: AnswerFault, response: ServerResponse): void {
  switch (fault.kind) {
    case 'hang':
      // The socket stays open until the client gives up or the server closes.
      return;
    case 'reset': {
      const partial = '[{"id":"u1","name":"Ada Lovel';
      // A declared length the body never reaches makes the truncation unmistakable to any client.
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      response.write(partial, () => response.destroy());
      return;
    }
    case 'status':
      send(response, fault.status, 'application/json', '{"error":"injected failure"}');
      return;
    case 'malformed':
      send(response, 200, 'application/json', '{"id": ');
      return;
    case 'html':
      send(response, 200, 'text/html; charset=utf-8', HTML_ERROR_PAGE);
      return;
    case 'huge':
      send(response, 200, 'application/json', hugeJsonArray(fault.bytes));
      return;
  }
}

const HTML_ERROR_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>' +
  '<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable.</p></body></html>\n';

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

function hugeJsonArray(bytes: number): string {
  const element = JSON.stringify({ id: 'filler', note: 'x'.repeat(100) });
  // Each element costs its length plus a comma; the brackets cost two.
  const count = Math.max(0, Math.round((bytes - 1) / (element.length + 1)));
  return `[${new Array<string>(count).fill(element).join(',')}]`;
}
