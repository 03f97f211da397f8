import type { UpstreamConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { batchSizeOf } from '../observability/request-stats.js';
import { endAttemptSpan, startAttemptSpan, traceparentOf } from '../observability/tracing.js';
import { mapTransportError, type UpstreamFailure, upstreamFailure } from './errors.js';
import { upstreamHeaders } from './headers.js';
import { parseJson, readBounded, serviceMessageOf } from './read-body.js';
import type { Replica } from './replicas.js';
import type { CallContext, UpstreamCallEvent, UpstreamRequest } from './types.js';

/**
 * One HTTP attempt against one replica: bounded in time (aborted after `budgetMs`, the
 * smaller of the attempt's timeout and what remains of the request, decided by the caller) and
 * in size; only 2xx JSON succeeds. Reports itself to `onCall` (and, when traced, to its own
 * client span) whatever happens; `retry` is 0 for the first attempt.
 */
export async function attemptOnce(
  service: string,
  config: UpstreamConfig,
  replica: Replica,
  request: UpstreamRequest,
  ctx: CallContext,
  budgetMs: number,
  onCall: (event: UpstreamCallEvent) => void,
  retry = 0,
): Promise<AttemptResult> {
  const started = ctx.stats?.callStarted() ?? performance.now();
  const batchSize = request.batchSize ?? batchSizeOf(request.query);
  const span = ctx.trace && startAttemptSpan(ctx.trace, service, replica.index, request, retry, batchSize);
  const event: UpstreamCallEvent = {
    service,
    replica: replica.index,
    method: request.method,
    path: request.path,
    status: 0,
    outcome: 'ok',
    durationMs: 0,
    requestId: ctx.requestId,
  };
  const finish = (outcome: UpstreamCallEvent['outcome'], error?: unknown) => {
    event.outcome = outcome;
    event.durationMs = performance.now() - started;
    ctx.stats?.callEnded(started, event, batchSize, false);
    onCall(event);
    if (span) endAttemptSpan(span, event, error);
  };
  const headers = upstreamHeaders(ctx);
  // Traced: the service's parent is this attempt's span, not the caller's.
  if (span) headers.traceparent = traceparentOf(span);
  headers.accept = 'application/json';
  if (request.headers) Object.assign(headers, request.headers);
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }

  // Not AbortSignal.timeout: its timer stays armed after a successful attempt and fires later
  // anyway, building a DOMException and dispatching an abort event nobody needs (~2.5% of CPU
  // under load). This one is cleared as soon as the body is in or the attempt has failed.
  const controller = new AbortController();
  const timer = setTimeout(abortOnTimeout, budgetMs, controller).unref();
  try {
    const response = await replica.pool.request({
      method: request.method,
      path: `${replica.basePath}${request.path}${queryString(request)}`,
      headers,
      body,
      signal: controller.signal,
    });
    event.status = response.statusCode;
    const text = await readBounded(service, response, config.maxResponseBytes);
    clearTimeout(timer);
    if (response.statusCode >= 500) {
      throw upstreamFailure(
        service,
        ErrorCode.UPSTREAM_ERROR,
        `${service} failed with HTTP ${response.statusCode}`,
        'error',
        response.statusCode,
      );
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      // 4xx: the request was refused. Resolvers decide what it means (BAD_USER_INPUT on a
      // mutation); by default it is a gateway bug, reported as UPSTREAM_ERROR.
      throw upstreamFailure(
        service,
        ErrorCode.UPSTREAM_ERROR,
        `${service} refused the request with HTTP ${response.statusCode}`,
        'client_error',
        response.statusCode,
        serviceMessageOf(text),
      );
    }
    const parsed = parseJson(service, text, response.headers['content-type']);
    finish('ok');
    return {
      value: parsed,
      cacheControl: headerOf(response.headers['cache-control']),
      vary: headerOf(response.headers.vary),
    };
  } catch (error) {
    clearTimeout(timer);
    const failure: UpstreamFailure = mapTransportError(service, error, budgetMs);
    finish(failure.outcome, failure);
    throw failure;
  }
}

/** Aborts like AbortSignal.timeout does, so the attempt maps to UPSTREAM_TIMEOUT. */
function abortOnTimeout(controller: AbortController): void {
  controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
}

/** A 2xx JSON answer and the headers that decide whether it may be cached. */
export interface AttemptResult {
  value: unknown;
  cacheControl?: string;
  vary?: string;
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `?a=1&b=2` for the request's query, '' without one. */
export function queryString(request: UpstreamRequest): string {
  return request.query ? `?${new URLSearchParams(request.query).toString()}` : '';
}
