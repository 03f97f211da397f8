// The entity cache (docs/caching.md): records of batch look-ups (`GET /products?ids=`) kept one by
// one, so a later batch asks the service only for the ids it lacks. Against a real products stub
// whose Cache-Control each test chooses, and real gateways (the response cache off, so every
// request reaches the entity cache).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, startStubService } from './helpers/stub-service.js';
import { writeTempConfig } from './helpers/temp-config.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

/** A products service answering with `cacheControl`; names say whom an answer was made for. */
async function products(
  cacheControl: string,
): Promise<StubService & { asked: () => string[][]; fail: (on: boolean) => void }> {
  let failing = false;
  const stub = await startStubService((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    if (failing) {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
    const who = request.headers['x-user-id'] ?? 'anyone';
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': cacheControl });
    response.end(
      JSON.stringify(
        ids.map((id) => ({
          id,
          name: `${id} for ${who}`,
          inStock: true,
          price: { amount: 100, currency: 'USD' },
        })),
      ),
    );
  });
  cleanup.push(() => stub.close());
  const asked = () =>
    stub.requests
      .filter((r) => r.url.startsWith('/products'))
      .map((r) => (new URL(r.url, 'http://stub').searchParams.get('ids') ?? '').split(',').sort());
  return Object.assign(stub, {
    asked,
    fail: (on: boolean) => {
      failing = on;
    },
  });
}

async function gateway(stub: StubService, yaml = '', env: Record<string, string> = {}): Promise<Stack> {
  const config = await writeTempConfig(`cache: { responses: false }\n${yaml}`);
  cleanup.push(config.remove);
  const stack = await startStack({ configFile: config.file, env: { PRODUCTS_URL: stub.url, ...env } });
  cleanup.push(() => stack.close());
  return stack;
}

const ask = (
  stack: Stack,
  ids: string[],
  options: { token?: string; headers?: Record<string, string> } = {},
) => stack.graphql(`{ products(ids: ${JSON.stringify(ids)}) { id name } }`, options);
const names = (answer: { body: { data?: Record<string, unknown> | null } }) =>
  (answer.body.data!.products as { name: string }[]).map((p) => p.name);

describe('the entity cache', () => {
  it('asks the service only for the ids it lacks, and nothing when it has them all', async () => {
    const stub = await products('public, max-age=60');
    const stack = await gateway(stub);
    await ask(stack, ['p1', 'p2']);
    await ask(stack, ['p2', 'p3']);
    const all = await ask(stack, ['p3', 'p1', 'p2']);
    expect(names(all)).toEqual(['p3 for anyone', 'p1 for anyone', 'p2 for anyone']);
    expect(stub.asked()).toEqual([['p1', 'p2'], ['p3']]);
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_entity_cache_hits_total', { service: 'products' })).toBe(4);
    expect(metricValue(metrics, 'switchboard_entity_cache_misses_total', { service: 'products' })).toBe(3);
  });

  it('shows its hits in the fan-out report', async () => {
    const stub = await products('public, max-age=60');
    const stack = await gateway(stub);
    await ask(stack, ['p1', 'p2']);
    const traced = await ask(stack, ['p1', 'p2', 'p3'], { headers: { 'x-switchboard-trace': '1' } });
    const fanout = traced.body.extensions!.fanout as { calls: { service: string; entityHits?: number }[] };
    const calls = fanout.calls;
    // Two records from the entity cache, and one call for the third.
    const hits = calls.filter((c) => c.service === 'products').map((c) => c.entityHits ?? 0);
    expect(hits.sort()).toEqual([0, 2]);
    expect(stub.asked().at(-1)).toEqual(['p3']);
  });

  it('keeps nothing the service marked no-store', async () => {
    const stub = await products('no-store');
    const stack = await gateway(stub);
    await ask(stack, ['p1', 'p2']);
    await ask(stack, ['p1', 'p2']);
    expect(stub.asked()).toEqual([
      ['p1', 'p2'],
      ['p1', 'p2'],
    ]);
  });

  it('keeps a private record for its user alone: never served to another user or to nobody', async () => {
    const stub = await products('private, max-age=60');
    const stack = await gateway(stub);
    const [u1, u2] = [await tokenFor('u1'), await tokenFor('u2')];
    expect(names(await ask(stack, ['p1'], { token: u1 }))).toEqual(['p1 for u1']);
    expect(names(await ask(stack, ['p1'], { token: u1 }))).toEqual(['p1 for u1']);
    expect(stub.asked()).toHaveLength(1);
    expect(names(await ask(stack, ['p1'], { token: u2 }))).toEqual(['p1 for u2']);
    expect(names(await ask(stack, ['p1']))).toEqual(['p1 for anyone']);
    expect(stub.asked()).toHaveLength(3);
  });

  it('is shared by two instances through Redis', async () => {
    const stub = await products('public, max-age=60');
    const env = { REDIS_URL: inject('redisUrl') };
    // Ids of their own: other test files share this Redis.
    const ids = [`e-${Date.now()}-1`, `e-${Date.now()}-2`];
    const a = await gateway(stub, '', env);
    const b = await gateway(stub, '', env);
    await ask(a, ids);
    // The gateway gives Redis 50 ms per command (a stalled Redis costs a miss, never a wait): on a
    // loaded machine a store can be dropped. Wait until a's records are in Redis, asking again if
    // they were dropped, so what is tested is b finding them there.
    const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; i < 20 && (await redis.keys(`*${ids[1]}*`)).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (i % 5 === 4) await ask(a, ids);
      }
    } finally {
      redis.disconnect();
    }
    const before = stub.asked().length;
    expect(names(await ask(b, ids))).toEqual(ids.map((id) => `${id} for anyone`));
    expect(stub.asked()).toHaveLength(before);
  });

  it('serves a record past its freshness when the service fails, within staleIfErrorSeconds', async () => {
    const stub = await products('public, max-age=1');
    const stack = await gateway(stub, 'upstreams:\n  products: { staleIfErrorSeconds: 60, retries: 0 }\n');
    await ask(stack, ['p1']);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    stub.fail(true);
    const stale = await ask(stack, ['p1']);
    expect(stale.body.errors).toBeUndefined();
    expect(names(stale)).toEqual(['p1 for anyone']);
    expect(stale.body.extensions?.degraded).toEqual([
      expect.objectContaining({ service: 'products', ageSeconds: expect.any(Number) }),
    ]);
    // A record it never had cannot be served stale: the field fails.
    const missing = await ask(stack, ['p1', 'p9']);
    expect(missing.body.errors?.[0]?.extensions?.service).toBe('products');
  });
});

describe('a warm dashboard', () => {
  it('costs 4 upstream calls instead of 5: its products come from the entity cache', async () => {
    const config = await writeTempConfig('cache: { responses: false }\n');
    cleanup.push(config.remove);
    const stack = await startStack({
      configFile: config.file,
      services: { productsCacheControl: 'public, max-age=60' },
    });
    cleanup.push(() => stack.close());
    const token = await tokenFor('u1');
    const query =
      '{ dashboard { user { name } recentOrders(limit: 3) { items { product { name } } } notifications(limit: 2) { id } unreadCount } }';
    await stack.graphql(query, { token });
    const calls = () =>
      (['users', 'orders', 'notifications', 'products'] as const).reduce(
        (n, s) => n + stack.services.requests(s).length,
        0,
      );
    expect(calls()).toBe(5);
    stack.services.clearRecords();
    const warm = await stack.graphql(query, { token });
    expect(warm.body.errors).toBeUndefined();
    expect(calls()).toBe(4);
    expect(stack.services.requests('products')).toHaveLength(0);
  });
});
