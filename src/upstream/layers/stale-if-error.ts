import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { isUpstreamFailure, serviceIsFailing } from '../errors.js';
import type { Answer, Exchange, Layer } from '../exchange.js';
import { type Judgement, judge } from '../freshness.js';
import { queryString } from '../transport/http.js';
import type { UpstreamEvents } from '../types.js';

/** A last good answer, and whom it may be served to. */
export interface StaleCopy {
  value: unknown;
  /** Size of the answer as received (what a byte-bounded store counts). */
  bytes: number;
  storedAt: number;
  /** The values of the request headers the answer varied on, when it did. */
  vary: Record<string, string | undefined>;
  /** Set when the answer was for one caller only (`private`, or varying on the user). */
  userId?: string;
  role?: string;
}

// Copies of one URL kept side by side: one per user for per-user answers, bounded.
const maxCopies = 16;

/**
 * stale-if-error (`upstreams.<name>.staleIfErrorSeconds`): the last good answer of a GET is kept
 * that long, and served when the service itself fails (never for a 4xx, a bad input or a caller
 * that left). A copy is keyed by URL and, like the HTTP cache, by everything the answer depended
 * on: the values of the headers it varies on, and the user and role when it was private or
 * varied on them; an answer varying on `*` is not kept. Serving a stale copy tells the request's
 * observer (`extensions.degraded`) and marks the answer as not reusable by the response cache.
 */
export function staleIfErrorLayer(
  store: KeyValueCache<StaleCopy[]>,
  maxAgeSeconds: number,
  events: UpstreamEvents,
  /** Batch look-ups the entity cache above already keeps (and serves stale) record by record. */
  entityCacheAbove = false,
): Layer {
  return (next) => async (exchange) => {
    const { request, service, ctx } = exchange;
    if (request.method !== 'GET' || request.stream || (entityCacheAbove && request.entities))
      return next(exchange);
    const key = `${service} ${request.path}${queryString(request.query)}`;
    try {
      const answer = await next(exchange);
      const copy = copyOf(exchange, answer, judge(exchange, answer));
      if (copy) void keep(store, key, copy, maxAgeSeconds);
      return answer;
    } catch (error) {
      if (!isUpstreamFailure(error) || !serviceIsFailing(error.outcome)) throw error;
      const copies = (await store.get(key)) ?? [];
      const now = Date.now();
      const found = copies.find((c) => now - c.storedAt < maxAgeSeconds * 1000 && servesCaller(c, exchange));
      if (!found) throw error;
      const ageSeconds = Math.floor((now - found.storedAt) / 1000);
      events.stale?.(service);
      ctx.observer?.stale?.(service, found.value, ageSeconds);
      ctx.observer?.freshness?.({ sharedMs: 0, privateMs: 0, varies: [] });
      return { value: found.value, status: 200, headers: {}, bytes: 0 };
    }
  };
}

/**
 * Who a fresh answer may be served to later, or undefined when it may not be kept at all
 * (varying on `*`). Private answers, and answers varying on the user or role, belong to their
 * caller; the others to anyone sending the same values of the headers they vary on. Keeping
 * answers is the operator's choice per service (`staleIfErrorSeconds`), so a `no-store` answer
 * is kept too: only for this purpose, and only for whom it was made.
 */
function copyOf(exchange: Exchange, answer: Answer, judgement: Judgement): StaleCopy | undefined {
  const { varies } = judgement.freshness;
  if (varies.includes('*')) return undefined;
  const copy: StaleCopy = { value: answer.value, bytes: answer.bytes, storedAt: Date.now(), vary: {} };
  for (const name of varies) copy.vary[name] = exchange.headers[name];
  if (judgement.isPrivate || varies.includes('x-user-id') || varies.includes('x-user-role')) {
    if (!exchange.ctx.userId) return undefined;
    copy.userId = exchange.ctx.userId;
    copy.role = exchange.ctx.userRole;
  }
  return copy;
}

function servesCaller(copy: StaleCopy, exchange: Exchange): boolean {
  if (
    copy.userId !== undefined &&
    (copy.userId !== exchange.ctx.userId || copy.role !== exchange.ctx.userRole)
  )
    return false;
  return Object.entries(copy.vary).every(([name, value]) => exchange.headers[name] === value);
}

async function keep(
  store: KeyValueCache<StaleCopy[]>,
  key: string,
  copy: StaleCopy,
  maxAgeSeconds: number,
): Promise<void> {
  const now = Date.now();
  const others = ((await store.get(key)) ?? []).filter(
    (c) => now - c.storedAt < maxAgeSeconds * 1000 && !(c.userId === copy.userId && sameVary(c, copy)),
  );
  await store.set(key, [copy, ...others].slice(0, maxCopies), { ttl: maxAgeSeconds });
}

function sameVary(a: StaleCopy, b: StaleCopy): boolean {
  const names = new Set([...Object.keys(a.vary), ...Object.keys(b.vary)]);
  for (const name of names) if (a.vary[name] !== b.vary[name]) return false;
  return true;
}
