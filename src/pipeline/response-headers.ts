import type { onSendAsyncHookHandler } from 'fastify';
import type { ResponseCache } from '../cache/response-cache.js';
import { responsePolicy, varyPrivate, varyPublic } from '../cache/response-policy.js';
import { serverTiming } from '../observability/server-timing.js';
import { stateOf } from './state.js';

/**
 * As the answer leaves: `Server-Timing` (gateway vs upstream time) on every answer, and
 * the answer's `Cache-Control`: the most restrictive of the schema's hints and every upstream
 * answer it was built from (response-policy.ts), `no-store` for errors, mutations, anything
 * unhinted and any answer carrying the fan-out report. A reusable answer is stored in the
 * response cache under the slot the response-cache stage noted, under the scope it turned out to
 * have: an answer that turned PRIVATE is stored per user, never in the shared slot.
 */
export function createResponseHeadersStage(
  cache: ResponseCache | undefined,
): onSendAsyncHookHandler<unknown> {
  return async (request, reply, payload) => {
    const state = request.graphql;
    if (!state) return payload;
    void reply.header('server-timing', serverTiming(state.stats));
    if (reply.hasHeader('cache-control')) return payload; // a cache hit, or a refusal with its own
    const ok = reply.statusCode === 200 && state.stats.errorCodes.length === 0 && !state.stats.fanout;
    const identity = state.identity;
    const policy = ok
      ? responsePolicy(state.cachePolicy, state.stats, identity?.userId !== undefined)
      : 'no-store';
    if (policy === 'no-store') {
      void reply.header('cache-control', 'no-store');
      return payload;
    }
    void reply.header('cache-control', `${policy.scope.toLowerCase()}, max-age=${policy.maxAge}`);
    void reply.header('vary', policy.scope === 'PRIVATE' ? varyPrivate : varyPublic);
    const slot = stateOf(request).cacheSlot;
    if (cache && slot && typeof payload === 'string') {
      const user = policy.scope === 'PRIVATE' ? { id: identity!.userId!, role: identity!.role } : undefined;
      await cache.set(user ? { ...slot, user } : slot, {
        body: payload,
        scope: policy.scope,
        maxAge: policy.maxAge,
        storedAt: Date.now(),
      });
    }
    return payload;
  };
}
