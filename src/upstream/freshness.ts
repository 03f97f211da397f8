import CachePolicy from 'http-cache-semantics';
import type { Answer, Exchange } from './exchange.js';
import { queryString } from './transport/http.js';
import type { AnswerFreshness } from './types.js';

// RFC 9111's rules are http-cache-semantics', not ours: Cache-Control (max-age, s-maxage,
// private, no-store, no-cache), Expires, Age, Date and Vary. No heuristic freshness: an answer
// the service did not give a lifetime is not reused.
const sharedOptions = { shared: true, cacheHeuristic: 0, immutableMinTimeToLive: 0 };
const privateOptions = { shared: false, cacheHeuristic: 0, immutableMinTimeToLive: 0 };

/** Request headers that vary with content negotiation only: the same for every caller. */
const negotiation = new Set(['accept', 'accept-encoding']);

const never: AnswerFreshness = { sharedMs: 0, privateMs: 0, varies: [] };

/** How one answer may be reused: by a shared cache (its policy, when storable) and by a private one. */
export interface Judgement {
  freshness: AnswerFreshness;
  /**
   * Who may keep it at all (ignoring its lifetime): `shared` caches, only the caller's own
   * (`private`), or nobody (`no-store`). An answer without any caching header is `shared`.
   */
  storableBy: 'shared' | 'private' | 'nobody';
  /** `Cache-Control: private`: whatever else it says, the answer is for its caller alone. */
  isPrivate: boolean;
  /** The shared-cache policy, when a shared cache may store the answer at all. */
  shared?: CachePolicy;
  /** The private (one caller's) policy, when only such a cache may store it. */
  private?: CachePolicy;
}

/** The request as RFC 9111 sees it: what the service received. */
export function policyRequest(exchange: Pick<Exchange, 'request' | 'headers'>): CachePolicy.HttpRequest {
  const { method, path, query } = exchange.request;
  return { method, url: `${path}${queryString(query)}`, headers: exchange.headers };
}

/** Judges an answer once; every cache (HTTP, entity, response) reads this judgement. */
export function judge(exchange: Pick<Exchange, 'request' | 'headers'>, answer: Answer): Judgement {
  const { headers } = answer;
  // The common case (no-store, or no lifetime at all) costs no policy object.
  if (headers['cache-control'] === undefined && headers.expires === undefined) {
    return { freshness: never, storableBy: 'shared', isPrivate: false };
  }
  const request = policyRequest(exchange);
  const response = { status: answer.status, headers: headers as CachePolicy.Headers };
  const shared = new CachePolicy(request, response, sharedOptions);
  const own = new CachePolicy(request, response, privateOptions);
  // Reusable now without asking the service again: `no-cache` answers are stored but never so.
  const sharedMs =
    shared.storable() && shared.satisfiesWithoutRevalidation(request) ? shared.timeToLive() : 0;
  const privateMs = own.storable() && own.satisfiesWithoutRevalidation(request) ? own.timeToLive() : 0;
  const storableBy = shared.storable() ? 'shared' : own.storable() ? 'private' : 'nobody';
  const isPrivate = 'private' in own.toObject().rescc;
  const freshness: AnswerFreshness = {
    sharedMs,
    privateMs,
    varies: variesOf(headers.vary),
    forCallerOnly: isPrivate || storableBy === 'private',
  };
  const judgement: Judgement = { freshness, storableBy, isPrivate };
  if (sharedMs > 0) judgement.shared = shared;
  else if (privateMs > 0) judgement.private = own;
  return judgement;
}

/** The request headers an answer varies on, beyond content negotiation (lower-case); `*` stays `*`. */
export function variesOf(vary: string | string[] | undefined): string[] {
  if (vary === undefined) return [];
  const names = (Array.isArray(vary) ? vary.join(',') : vary).split(',');
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim().toLowerCase();
    if (name && !negotiation.has(name) && !out.includes(name)) out.push(name);
  }
  return out;
}
