import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/identity.js';
import { ErrorCode } from '../errors.js';
import { saneTraceparent } from '../observability/trace-context.js';
import type { UpstreamClient } from '../upstream/client.js';
import { isUpstreamFailure } from '../upstream/errors.js';
import { type Answer, discardBody } from '../upstream/exchange.js';
import type { CallContext, CallObserver, HeaderTransform, UpstreamRequest } from '../upstream/types.js';
import { endToEndHeaders, forwardedHeaders } from './headers.js';
import { sendError } from './reply.js';
import type { RouteMatch } from './table.js';

export interface ProxyOptions {
  upstream: UpstreamClient;
  /** The wait for a response's headers when the route sets no `timeoutMs` (`server.requestTimeoutMs`). */
  requestTimeoutMs: number;
}

/** What the request's own plumbing gives the call: its abort signal and its observer. */
export interface ProxyCall {
  identity: Identity;
  startedAt: number;
  /** Aborted when the caller goes away: the attempt stops and counts against no service. */
  signal: AbortSignal;
  /** Aborts `signal`: the caller's upload broke off. */
  onCallerGone(): void;
  observer?: CallObserver;
}

/**
 * Sends a matched request to its service through the upstream client (the service's pools,
 * replicas, deadline, breaker, retry budget, metrics and log lines) and streams the answer back
 * as it is, whatever its status: bodies flow both ways without ever being held whole. When no
 * answer comes, the caller gets a coded JSON error (504, 503 or 502) naming the service.
 */
export async function proxy(
  request: FastifyRequest,
  reply: FastifyReply,
  match: RouteMatch,
  call: ProxyCall,
  options: ProxyOptions,
): Promise<FastifyReply> {
  const { route } = match;
  const { identity } = call;
  const upload = hasBody(request) ? uploadOf(request, call.onCallerGone) : undefined;
  const upstreamRequest: UpstreamRequest = {
    method: request.method as UpstreamRequest['method'],
    path: match.path,
    // Logs, metrics and spans name the route's upstream prefix: never a caller's path or query.
    route: route.rewrite || '/',
    search: match.search,
    headers: forwardedHeaders(request.headers),
    passThrough: true,
  };
  if (upload) upstreamRequest.upload = upload;
  if (route.timeoutMs !== undefined) upstreamRequest.timeoutMs = route.timeoutMs;
  if (route.requestHeaders) upstreamRequest.transform = route.requestHeaders;
  const ctx: CallContext = {
    requestId: request.id,
    clientName: identity.clientName,
    traceparent: saneTraceparent(request.headers.traceparent),
    userId: identity.userId,
    userRole: identity.role,
    // The whole wait for the headers, retries included: the route's own, else the server's.
    deadline: call.startedAt + (route.timeoutMs ?? options.requestTimeoutMs),
    signal: call.signal,
    observer: call.observer,
  };
  let answer: Answer;
  try {
    answer = await options.upstream.open(route.upstream, upstreamRequest, ctx);
  } catch (error) {
    // A 5xx is the service's failure (its breaker counted it), but still its answer: passed on.
    if (isUpstreamFailure(error) && error.answer) answer = error.answer;
    else {
      // No answer: whatever of the body is still unsent is dropped (the caller's socket is not).
      upload?.destroy();
      if (!isUpstreamFailure(error)) throw error;
      if (error.outcome === 'aborted') return reply.hijack();
      return sendError(reply, error.extensions.code as ErrorCode, { service: route.upstream });
    }
  }
  return relay(request, reply, answer, route.upstream, route.responseHeaders);
}

/** The service's answer to the caller: its status, its end-to-end headers, its body as it streams. */
function relay(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: Answer,
  service: string,
  transform: HeaderTransform | undefined,
): FastifyReply {
  const body = answer.body!;
  if (answer.status < 200 || answer.status > 599) {
    discardBody(body);
    return sendError(reply, ErrorCode.UPSTREAM_ERROR, { service });
  }
  const headers = endToEndHeaders(answer.headers);
  // The gateway's own headers (x-request-id, RateLimit, CORS) stay the gateway's.
  for (const name of Object.keys(reply.getHeaders())) delete headers[name];
  void reply.code(answer.status).headers(headers);
  for (const name of transform?.remove ?? []) void reply.removeHeader(name);
  for (const [name, value] of Object.entries(transform?.set ?? {})) void reply.header(name, value);
  if (request.method === 'HEAD' || answer.status === 204 || answer.status === 304) {
    // Nothing to relay; read the (empty) rest so the connection goes back to the pool.
    body.resume();
    return reply.send();
  }
  // Fastify pipes it with backpressure, and destroys it (ending the upstream request) when the
  // caller goes away mid-download.
  return reply.send(body);
}

/** Whether the request carries a body (a length above 0, or chunked). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The request body as the service's upload. Piped through a stream of its own: when an attempt
 * fails mid-upload (its deadline), undici destroys the upload, and that must not destroy the
 * caller's socket, which still has to carry the 504. A caller whose upload breaks off is gone:
 * the call is aborted first, so the broken upload reads as the caller's doing, never as a
 * failure of the service (one caller must not open a breaker for everyone).
 */
function uploadOf(request: FastifyRequest, onCallerGone: () => void): Readable {
  const upload = new PassThrough();
  request.raw.pipe(upload);
  request.raw.on('error', (error) => {
    onCallerGone();
    upload.destroy(error);
  });
  return upload;
}
