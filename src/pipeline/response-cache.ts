import type { preHandlerAsyncHookHandler } from 'fastify';
import type { ResponseCache, ResponseKeyParts } from '../cache/response-cache.js';
import { varyPrivate, varyPublic } from '../cache/response-policy.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { stateOf } from './state.js';

/**
 * A fresh cached answer of the same operation for the same client (and, for PRIVATE
 * answers, the same user and role) is sent as it is, with its Age. A caller asking for the
 * fan-out report always runs the operation (and its answer, carrying the report, is never
 * stored). Otherwise the slot is noted for the response-headers stage to store the answer in.
 */
export function createResponseCacheStage(
  cache: ResponseCache,
  metrics: GatewayMetrics,
): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    const { analysis, cachePolicy, identity } = state;
    if (!analysis || !cachePolicy || cachePolicy.maxAge <= 0) return;
    if (request.headers['x-switchboard-trace'] !== undefined) return;
    const operation = state.operations![0]!;
    const parts: ResponseKeyParts = {
      client: identity!.clientName,
      query: operation.query as string,
      operationName: typeof operation.operationName === 'string' ? operation.operationName : undefined,
      variables: operation.variables,
    };
    state.cacheSlot = parts;
    const user = identity!.userId ? { id: identity!.userId, role: identity!.role } : undefined;
    // A PUBLIC operation may still have been stored per user (an upstream answer was private or
    // varied on the user): the caller's own entry is looked up after the shared one.
    const hit =
      (cachePolicy.scope === 'PUBLIC' ? await cache.get(parts) : undefined) ??
      (user ? await cache.get({ ...parts, user }) : undefined);
    if (!hit) return;
    metrics.responseCacheHits.inc();
    state.cacheSlot = undefined;
    return reply
      .code(200)
      .type('application/json; charset=utf-8')
      .header('cache-control', `${hit.scope.toLowerCase()}, max-age=${hit.maxAge}`)
      .header('age', String(Math.max(0, Math.floor((Date.now() - hit.storedAt) / 1000))))
      .header('vary', hit.scope === 'PRIVATE' ? varyPrivate : varyPublic)
      .header('x-switchboard-cache', 'hit')
      .send(hit.body);
  };
}
