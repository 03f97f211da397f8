import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import CachePolicy from 'http-cache-semantics';
import type { Answer, Layer } from '../exchange.js';
import { judge, policyRequest } from '../freshness.js';
import { queryString } from '../transport/http.js';
import type { UpstreamEvents } from '../types.js';

/** One stored answer: its policy (RFC 9111 state, Vary included), the value and its size. */
export interface StoredAnswer {
  policy: CachePolicy.CachePolicyObject;
  value: unknown;
  bytes: number;
}

// Variants of one URL kept side by side (one per combination of the headers it varies on): a
// service that varies on x-user-id keeps a few users' answers, never an unbounded list.
const maxVariants = 8;

/**
 * The upstream HTTP cache, RFC 9111 as a shared cache: a GET answer is reused while
 * http-cache-semantics says it satisfies the new request without revalidation, which includes
 * its `Vary` (the answer for one `x-user-id` never serves another). Stored per service and URL,
 * as variants. Not undici's cache interceptor: that one stores raw bytes per origin, while
 * replicas of one service are several origins and this cache holds parsed, contract-checked
 * values, shared through Redis by every instance.
 *
 * Every GET answer's freshness is told to the request's observer, stored or not: the response
 * cache can only reuse what all of its parts allow.
 */
export function httpCacheLayer(
  store: KeyValueCache<StoredAnswer[]> | undefined,
  events: UpstreamEvents,
  /** Batch look-ups the entity cache above already keeps record by record. */
  entityCacheAbove = false,
): Layer {
  return (next) => async (exchange) => {
    const { service, request, ctx } = exchange;
    // A stream (an event stream, a proxied body) is nobody's to keep.
    if (request.stream) return next(exchange);
    const cacheable = store && request.method === 'GET' && !(entityCacheAbove && request.entities);
    const key = `${service} ${request.path}${queryString(request.query)}`;
    let variants: StoredAnswer[] | undefined;
    if (cacheable) {
      variants = await store.get(key);
      const policyReq = policyRequest(exchange);
      for (const stored of variants ?? []) {
        const policy = CachePolicy.fromObject(stored.policy);
        if (!policy.satisfiesWithoutRevalidation(policyReq)) continue;
        events.cache?.(service, 'http', true);
        ctx.observer?.served?.(service, request, 'cache');
        const remaining = policy.timeToLive();
        ctx.observer?.freshness?.({ sharedMs: remaining, privateMs: remaining, varies: [] });
        return {
          value: stored.value,
          status: 200,
          headers: policy.responseHeaders() as Answer['headers'],
          bytes: stored.bytes,
        };
      }
      events.cache?.(service, 'http', false);
    }
    const answer = await next(exchange);
    // Only GET answers state a lifetime: anything else (a gRPC read, a write) is never reused,
    // and neither is a response built from it.
    if (request.method !== 'GET') {
      ctx.observer?.freshness?.({ sharedMs: 0, privateMs: 0, varies: [] });
      return answer;
    }
    const judgement = judge(exchange, answer);
    ctx.observer?.freshness?.(judgement.freshness);
    if (cacheable && judgement.shared && !judgement.freshness.varies.includes('*')) {
      const policy = judgement.shared.toObject();
      const fresh = (variants ?? []).filter((v) => !CachePolicy.fromObject(v.policy).stale());
      const kept = [
        { policy, value: answer.value, bytes: answer.bytes },
        ...fresh.filter((v) => !sameVariant(v.policy, policy)),
      ];
      const ttlSeconds = Math.max(...kept.map((v) => CachePolicy.fromObject(v.policy).timeToLive())) / 1000;
      void store.set(key, kept.slice(0, maxVariants), { ttl: ttlSeconds });
    }
    return answer;
  };
}

/** Whether two stored policies answer the same variant: equal values of the headers the first varies on. */
function sameVariant(a: CachePolicy.CachePolicyObject, b: CachePolicy.CachePolicyObject): boolean {
  const vary = a.resh.vary;
  if (vary === undefined) return true;
  const names = (Array.isArray(vary) ? vary.join(',') : vary).split(',').map((n) => n.trim().toLowerCase());
  return names.every((name) => a.reqh?.[name] === b.reqh?.[name]);
}
