import type { preHandlerAsyncHookHandler } from 'fastify';
import { ErrorCode, errorBody, rateLimitedBody } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { TierLimiter } from '../ratelimit/tiers.js';
import { stateOf } from './state.js';

/**
 * The caller's tier quota (per API key, else user, else IP). Every answer carries the
 * RateLimit headers; over the quota is a 429 with Retry-After. Each operation of a batch counts:
 * a batch of ten is ten requests' worth of work.
 */
export function createTierQuotaStage(
  tiers: TierLimiter,
  metrics: GatewayMetrics,
): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    const body = request.method === 'POST' ? request.body : undefined;
    const weight = Array.isArray(body) ? Math.max(1, body.length) : 1;
    let verdict: Awaited<ReturnType<TierLimiter['check']>>;
    try {
      verdict = await tiers.check(state.identity!, request.ip, weight);
    } catch (error) {
      // failOpen: false and the shared store is down: refuse rather than serve unlimited.
      const coded = error as { message?: string; extensions?: { code?: string } };
      if (coded.extensions?.code !== ErrorCode.SERVICE_UNAVAILABLE) throw error;
      return reply
        .code(503)
        .header('retry-after', '1')
        .send(errorBody(ErrorCode.SERVICE_UNAVAILABLE, coded.message ?? 'Service unavailable'));
    }
    void reply.headers(verdict.headers);
    if (verdict.retryAfterSeconds === undefined) return;
    metrics.rejections.inc({ reason: 'rate_limit' });
    state.stats.errorCodes.push(ErrorCode.RATE_LIMITED);
    return reply
      .code(429)
      .header('retry-after', String(verdict.retryAfterSeconds))
      .send(rateLimitedBody(verdict.message!, verdict.retryAfterSeconds));
  };
}
