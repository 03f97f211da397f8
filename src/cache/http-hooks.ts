import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperationGate } from '../limits/gate.js';
import type { CachePolicy } from './cache-policy.js';
import { type ResponseCache, responseKey } from './response-cache.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The operation's cache policy from the schema's hints, when it is a single query. */
    cachePolicy?: CachePolicy;
    /** Where its answer goes in the response cache, when it may be stored. */
    responseCacheSlot?: { key: string; userId: string | undefined };
  }
}

export interface ResponseCaching {
  policies: {
    policyOf(document: import('graphql').DocumentNode, operationName?: string | null): CachePolicy;
  };
  gate: OperationGate;
  /** Absent when `cache.responses` is off: headers are still computed. */
  cache?: ResponseCache;
  onHit?: () => void;
}

// The answer depends on who the client is (its schema variant, its API key's tier) and, for
// PRIVATE answers, who the user is.
const varyPublic = 'x-api-key, apollographql-client-name';
const varyPrivate = `authorization, ${varyPublic}`;

/**
 * In the /graphql pre-handler, after the limits: works out the operation's policy and answers
 * from the response cache when it holds a fresh answer. Returns true when it answered.
 */
export async function answerFromCache(
  request: FastifyRequest,
  reply: FastifyReply,
  caching: ResponseCaching,
): Promise<boolean> {
  const payload = (request.method === 'GET' ? request.query : request.body) as
    | { query?: unknown; operationName?: unknown; variables?: unknown }
    | undefined;
  if (!payload || Array.isArray(payload) || typeof payload.query !== 'string') return false;
  const document = caching.gate.parsed(payload.query);
  if (!document) return false;
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  const policy = caching.policies.policyOf(document, operationName);
  request.cachePolicy = policy;
  const identity = request.identity;
  if (!caching.cache || policy.maxAge <= 0 || !identity) return false;
  // A PRIVATE answer is cached per user only: an anonymous caller has no user to key it by.
  const userId = policy.scope === 'PRIVATE' ? identity.userId : undefined;
  if (policy.scope === 'PRIVATE' && !userId) return false;
  const key = responseKey(identity.clientName, payload.query, operationName, payload.variables);
  request.responseCacheSlot = { key, userId };
  const hit = await caching.cache.get(key, userId);
  if (!hit) return false;
  caching.onHit?.();
  request.responseCacheSlot = undefined;
  void reply
    .code(200)
    .type('application/json; charset=utf-8')
    .header('cache-control', `${hit.scope.toLowerCase()}, max-age=${hit.maxAge}`)
    .header('age', String(hit.ageSeconds))
    .header('vary', hit.scope === 'PRIVATE' ? varyPrivate : varyPublic)
    .header('x-switchboard-cache', 'hit');
  await reply.send(hit.body);
  return true;
}

/**
 * The response's Cache-Control, always the most restrictive of the schema's hints and every
 * upstream answer it was built from (a service that sent no freshness makes it `no-store`), and
 * storing cacheable answers. Errors, mutations and anything unhinted are `no-store`.
 */
export function registerResponseCaching(app: FastifyInstance, cache: ResponseCache | undefined): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== '/graphql' || reply.hasHeader('cache-control') || !request.stats)
      return payload;
    const policy = request.cachePolicy;
    const stats = request.stats;
    const ok = reply.statusCode === 200 && stats.errorCodes.length === 0;
    const maxAge =
      ok && policy
        ? Math.min(policy.maxAge, Math.floor(Math.min(stats.freshMs, Number.MAX_SAFE_INTEGER) / 1000))
        : 0;
    const scope = policy?.scope === 'PRIVATE' || stats.sawPrivate ? 'PRIVATE' : 'PUBLIC';
    if (maxAge <= 0) {
      void reply.header('cache-control', 'no-store');
      return payload;
    }
    void reply.header('cache-control', `${scope.toLowerCase()}, max-age=${maxAge}`);
    void reply.header('vary', scope === 'PRIVATE' ? varyPrivate : varyPublic);
    const slot = request.responseCacheSlot;
    // Stored only under the scope it was looked up with: an answer that turned PRIVATE (a
    // private upstream answer) is never stored in the shared slot.
    if (cache && slot && typeof payload === 'string' && (scope === 'PUBLIC' || slot.userId)) {
      await cache.set(slot.key, slot.userId, { body: payload, scope, maxAge });
    }
    return payload;
  });
}
