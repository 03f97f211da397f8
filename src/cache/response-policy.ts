import type { CachePolicy } from '../operation/measure.js';

/** What the upstream answers a response was built from allow (the request's stats gather it). */
export interface UpstreamFreshness {
  /** Shortest shared lifetime, ms (Infinity when no answer limited it). */
  sharedMs: number;
  /** Shortest lifetime for a cache serving only this caller, ms. */
  privateMs: number;
  /** Request headers some answer varied on, beyond content negotiation. */
  varies: ReadonlySet<string>;
  /** Some answer may only be served to its caller again. */
  forCallerOnly: boolean;
}

/** The response's Cache-Control: for whom and how long, or `no-store`. */
export type ResponsePolicy = { scope: 'PUBLIC' | 'PRIVATE'; maxAge: number } | 'no-store';

// Headers the gateway sends upstream and derives from the identity: an answer varying on them
// can still be keyed (by user and role; the client is always in the key). Varying on anything
// else it sends (x-request-id, traceparent) or on `*` means it cannot be reused at all.
const perUser = new Set(['x-user-id', 'x-user-role']);
const keyable = new Set([...perUser, 'x-client-name']);

/**
 * The most restrictive of the schema's hints and every upstream answer used: a service that sent
 * no lifetime makes it `no-store`; an answer only one caller may reuse, or one that varied on
 * the user, makes it PRIVATE (and needs a user to key it by); errors and mutations never reach here.
 */
export function responsePolicy(
  hints: CachePolicy | undefined,
  upstream: UpstreamFreshness,
  authenticated: boolean,
): ResponsePolicy {
  if (!hints || hints.maxAge <= 0) return 'no-store';
  for (const name of upstream.varies) if (!keyable.has(name)) return 'no-store';
  const variesPerUser = [...upstream.varies].some((name) => perUser.has(name));
  const isPrivate = hints.scope === 'PRIVATE' || upstream.forCallerOnly || variesPerUser;
  const upstreamMs = isPrivate ? upstream.privateMs : upstream.sharedMs;
  // Lifetimes arrive in milliseconds already running down (an answer received 15 ms ago has
  // 9.985 s of its 10 left): to the nearest second, as the service itself would state it.
  const maxAge = Math.min(hints.maxAge, Math.round(Math.min(upstreamMs, Number.MAX_SAFE_INTEGER) / 1000));
  if (maxAge <= 0 || (isPrivate && !authenticated)) return 'no-store';
  return { scope: isPrivate ? 'PRIVATE' : 'PUBLIC', maxAge };
}

// The answer depends on who the client is (its schema variant, its API key) and, for PRIVATE
// answers, who the user is: what a browser or CDN must key a stored copy by.
export const varyPublic = 'x-api-key, apollographql-client-name';
export const varyPrivate = `authorization, ${varyPublic}`;
