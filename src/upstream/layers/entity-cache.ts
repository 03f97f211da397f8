import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { isUpstreamFailure, serviceIsFailing } from '../errors.js';
import type { Answer, Exchange, Layer } from '../exchange.js';
import { type Judgement, judge } from '../freshness.js';
import type { UpstreamEvents } from '../types.js';

/** One cached record of a batch endpoint, with how long it is fresh and how long it may serve when stale. */
export interface StoredEntity {
  /** The record; null when the service answered without it (the id names nothing). */
  value: unknown;
  /** Epoch ms until which it is fresh. */
  freshUntil: number;
  /** Epoch ms when it was stored (its age when served stale). */
  storedAt: number;
  bytes: number;
  /** Stored for one caller (a private answer, or one varying on the user). */
  perCaller?: boolean;
}

export interface EntityCacheOptions {
  store: KeyValueCache<StoredEntity>;
  /** `staleIfErrorSeconds` of the service: how long past freshness a record may serve an outage. */
  staleSeconds: number;
  events: UpstreamEvents;
}

/**
 * The entity cache: batch look-ups (`GET /products?ids=p3,p9,p17`, marked by `request.entities`)
 * rarely repeat as URLs, but their records do. Each record is stored under service + id, for as
 * long as the answer's Cache-Control allows (RFC 9111 via http-cache-semantics): a shared answer
 * under the id, a `private` one (or one varying on the user) under the id and the user and role,
 * `no-store` and anything varying on other caller headers not at all. A batch then asks the
 * service only for the ids it lacks; when they are all present, no call is made.
 *
 * With stale-if-error, records are kept past freshness for that long and serve when the service
 * itself fails, if every missing id has one. A write to the service (any non-GET) drops the
 * records it answers with, so a mutation never leaves its old version cached.
 */
export function entityCacheLayer(options: EntityCacheOptions): Layer {
  const { store, events } = options;
  let idField = 'id';
  return (next) => async (exchange) => {
    const { request } = exchange;
    if (request.method !== 'GET') {
      const answer = await next(exchange);
      await forget(store, exchange, answer.value, idField);
      return answer;
    }
    const spec = request.entities;
    const list = spec ? request.query?.[spec.param] : undefined;
    if (!spec || list === undefined) return next(exchange);
    idField = spec.key;
    const ids = [...new Set(list.split(','))];
    const now = Date.now();
    const found = await Promise.all(ids.map((id) => lookUp(store, exchange, id)));
    const fresh = new Map<string, StoredEntity>();
    const stale = new Map<string, StoredEntity>();
    ids.forEach((id, i) => {
      const entity = found[i];
      if (entity && entity.freshUntil > now) fresh.set(id, entity);
      else if (entity) stale.set(id, entity);
    });
    const missing = ids.filter((id) => !fresh.has(id));
    reportHits(exchange, fresh, now, events);
    if (missing.length === 0) return assemble(fresh, []);
    const partial: Exchange = {
      ...exchange,
      request: { ...request, query: { ...request.query, [spec.param]: missing.join(',') } },
    };
    let answer: Answer;
    try {
      answer = await next(partial);
    } catch (error) {
      const servable = missing.every((id) => stale.has(id)) && stale.size > 0;
      if (!servable || !isUpstreamFailure(error) || !serviceIsFailing(error.outcome)) throw error;
      const kept = missing.map((id) => stale.get(id)!);
      const ageSeconds = Math.max(...kept.map((r) => Math.floor((now - r.storedAt) / 1000)));
      const values = kept.map((r) => r.value).filter((value) => value !== null);
      events.stale?.(exchange.service);
      exchange.ctx.observer?.stale?.(exchange.service, values, ageSeconds);
      exchange.ctx.observer?.freshness?.({ sharedMs: 0, privateMs: 0, varies: [] });
      return assemble(fresh, values);
    }
    if (!Array.isArray(answer.value)) return answer; // off the contract: the loader says so
    const judgement = judge(partial, answer);
    exchange.ctx.observer?.freshness?.(judgement.freshness);
    await storeAll(store, partial, answer, judgement, spec.key, options.staleSeconds);
    return assemble(fresh, answer.value, answer);
  };
}

/** The records of the ids it answered, one look-up each: shared first, then the caller's own. */
async function lookUp(store: KeyValueCache<StoredEntity>, exchange: Exchange, id: string) {
  const shared = await store.get(sharedKey(exchange.service, id));
  if (shared || !exchange.ctx.userId) return shared;
  return store.get(callerKey(exchange, id));
}

function sharedKey(service: string, id: string): string {
  return `${service}\n${id}`;
}

function callerKey(exchange: Exchange, id: string): string {
  return `${exchange.service}\n${id}\nu:${exchange.ctx.userId}\nr:${exchange.ctx.userRole ?? 'USER'}`;
}

function reportHits(
  exchange: Exchange,
  fresh: Map<string, StoredEntity>,
  now: number,
  events: UpstreamEvents,
) {
  const { service, request, ctx } = exchange;
  const total = new Set(request.query?.[request.entities!.param]?.split(',')).size;
  for (let i = 0; i < fresh.size; i++) events.cache?.(service, 'entity', true);
  for (let i = fresh.size; i < total; i++) events.cache?.(service, 'entity', false);
  if (fresh.size === 0) return;
  ctx.observer?.served?.(service, request, 'entity-cache', fresh.size);
  const remaining = Math.min(...[...fresh.values()].map((e) => e.freshUntil - now));
  const forCallerOnly = [...fresh.values()].some((e) => e.perCaller);
  ctx.observer?.freshness?.({
    sharedMs: forCallerOnly ? 0 : remaining,
    privateMs: remaining,
    varies: [],
    forCallerOnly,
  });
}

/**
 * Hits and fetched records as one batch answer (order is not promised by the contract); ids
 * known to name nothing are absent, as the service itself answers them.
 */
function assemble(fresh: Map<string, StoredEntity>, fetched: unknown[], answer?: Answer): Answer {
  const value = [...[...fresh.values()].map((e) => e.value), ...fetched].filter((record) => record !== null);
  return { value, status: 200, headers: answer?.headers ?? {}, bytes: answer?.bytes ?? 0 };
}

async function storeAll(
  store: KeyValueCache<StoredEntity>,
  exchange: Exchange,
  answer: Answer,
  judgement: Judgement,
  key: string,
  staleSeconds: number,
): Promise<void> {
  const { sharedMs, privateMs, varies } = judgement.freshness;
  const perCaller = judgement.isPrivate || varies.includes('x-user-id') || varies.includes('x-user-role');
  // Varying on anything else the gateway sends (request id, trace, client) has no per-entity key.
  const otherVary = varies.some((name) => name !== 'x-user-id' && name !== 'x-user-role');
  const lifetimeMs = perCaller ? privateMs : sharedMs;
  // A record without a lifetime is still kept when stale-if-error wants it: stale from the
  // start, it serves only an outage (the operator's choice for this service).
  if (otherVary || (lifetimeMs <= 0 && staleSeconds <= 0) || (perCaller && !exchange.ctx.userId)) return;
  const records = answer.value as unknown[];
  const now = Date.now();
  const perRecordBytes = Math.ceil(answer.bytes / Math.max(1, records.length));
  const byId = new Map<string, unknown>();
  for (const record of records) {
    const id = idOf(record, key);
    if (id !== undefined) byId.set(id, record);
  }
  // Every id asked: the ones the service left out are remembered as naming nothing, for as long.
  const asked = exchange.request.query?.[exchange.request.entities!.param]?.split(',') ?? [];
  for (const id of asked) if (!byId.has(id)) byId.set(id, null);
  const ttl = (Math.max(0, lifetimeMs) + staleSeconds * 1000) / 1000;
  await Promise.all(
    [...byId].map(([id, record]) => {
      const entity: StoredEntity = {
        value: record,
        freshUntil: now + lifetimeMs,
        storedAt: now,
        bytes: record === null ? 8 : perRecordBytes,
      };
      if (perCaller) entity.perCaller = true;
      return store.set(perCaller ? callerKey(exchange, id) : sharedKey(exchange.service, id), entity, {
        ttl,
      });
    }),
  );
}

/** A write answered with records: their cached versions (shared and the caller's) are dropped. */
async function forget(store: KeyValueCache<StoredEntity>, exchange: Exchange, value: unknown, key: string) {
  const records = Array.isArray(value) ? value : [value];
  await Promise.all(
    records.flatMap((record) => {
      const id = idOf(record, key);
      if (id === undefined) return [];
      const drops = [store.delete(sharedKey(exchange.service, id))];
      if (exchange.ctx.userId) drops.push(store.delete(callerKey(exchange, id)));
      return drops;
    }),
  );
}

function idOf(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const id = (record as Record<string, unknown>)[key];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
