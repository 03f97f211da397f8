import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, type StackOptions, startStack, tokenFor } from './helpers/stack.js';

const stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});
async function stack(options: StackOptions): Promise<Stack> {
  const s = await startStack(options);
  stacks.push(s);
  return s;
}

// A never-existing id makes the text (and so the cache key) unique to this run: Redis outlives runs.
const productsQuery = (nonce = randomUUID()) =>
  `{ products(ids: ["p1", "missing-${nonce}"]) { id name price { formatted } } }`;
const myOrders = '{ me { id orders(limit: 3) { id } } }';
const privateData = {
  productsCacheControl: 'public, max-age=60',
  userDataCacheControl: 'private, max-age=30',
};

describe('response Cache-Control: the most restrictive of the hints and the upstream headers', () => {
  it('a products query is public for the shorter of the hint (60 s) and the service (10 s)', async () => {
    const s = await stack({ services: { productsCacheControl: 'public, max-age=10' } });
    const answer = await s.graphql(productsQuery());
    expect(answer.headers.get('cache-control')).toBe('public, max-age=10');
    expect(answer.headers.get('vary')).toBe('x-api-key, apollographql-client-name');
  });

  it('a dashboard built on services that send no freshness is no-store', async () => {
    const s = await stack({ services: { productsCacheControl: 'public, max-age=60' } });
    const answer = await s.graphql('{ dashboard { user { name } unreadCount } }', {
      token: await tokenFor('u1'),
    });
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('private upstream answers make the response private', async () => {
    const s = await stack({ services: privateData });
    const answer = await s.graphql(myOrders, { token: await tokenFor('u1') });
    expect(answer.headers.get('cache-control')).toBe('private, max-age=30');
    expect(answer.headers.get('vary')).toContain('authorization');
  });

  it('errors, mutations and introspection are no-store', async () => {
    const s = await stack({ services: { productsCacheControl: 'public, max-age=60' } });
    s.services.setFault('products', { kind: 'status', status: 500 });
    expect((await s.graphql(productsQuery())).headers.get('cache-control')).toBe('no-store');
    s.services.setFault('products', null);
    const token = await tokenFor('u2');
    const mutation = await s.graphql('mutation { markNotificationRead(id: "nope") { id } }', { token });
    expect(mutation.headers.get('cache-control')).toBe('no-store');
    expect((await s.graphql('{ __schema { queryType { name } } }')).headers.get('cache-control')).toBe(
      'no-store',
    );
  });
});

describe('response cache', () => {
  it('answers a repeated public query from the cache: no upstream call, Age, the remaining policy', async () => {
    const s = await stack({ services: { productsCacheControl: 'public, max-age=60' } });
    const query = productsQuery();
    const first = await s.graphql(query);
    const second = await s.graphql(query);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('x-switchboard-cache')).toBe('hit');
    expect(second.headers.get('cache-control')).toBe('public, max-age=60');
    expect(second.headers.get('age')).toMatch(/^\d+$/);
    expect(s.services.requests('products')).toHaveLength(1);
    const metrics = await scrapeMetrics(s.url);
    expect(metricValue(metrics, 'switchboard_response_cache_hits_total')).toBe(1);
  });

  it('never serves a PRIVATE answer to another user', async () => {
    const s = await stack({ services: privateData });
    const u1 = await tokenFor('u1');
    const u2 = await tokenFor('u2');
    const mine = await s.graphql(myOrders, { token: u1 });
    const again = await s.graphql(myOrders, { token: u1 });
    expect(again.headers.get('x-switchboard-cache')).toBe('hit');
    expect(again.body).toEqual(mine.body);
    const theirs = await s.graphql(myOrders, { token: u2 });
    expect(theirs.headers.get('x-switchboard-cache')).toBeNull();
    expect(theirs.body.data).toMatchObject({ me: { id: 'u2' } });
    // An anonymous caller never reaches a private entry either.
    const anonymous = await s.graphql(myOrders);
    expect(anonymous.headers.get('x-switchboard-cache')).toBeNull();
  });

  it('placing an order invalidates that user’s cached answers (only that user’s)', async () => {
    const s = await stack({ services: privateData });
    const u1 = await tokenFor('u1');
    const u2 = await tokenFor('u2');
    await s.graphql(myOrders, { token: u1 });
    await s.graphql(myOrders, { token: u2 });
    const placed = await s.graphql(
      'mutation { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }] }) { id } }',
      {
        token: u1,
      },
    );
    const orderId = (placed.body.data as { placeOrder: { id: string } }).placeOrder.id;
    const after = await s.graphql(myOrders, { token: u1 });
    expect(after.headers.get('x-switchboard-cache')).toBeNull();
    expect((after.body.data as { me: { orders: { id: string }[] } }).me.orders[0]!.id).toBe(orderId);
    expect((await s.graphql(myOrders, { token: u2 })).headers.get('x-switchboard-cache')).toBe('hit');
  });

  it('keys answers by client: another client name is another entry', async () => {
    const s = await stack({ services: { productsCacheControl: 'public, max-age=60' } });
    const query = productsQuery();
    const as = (client: string) => ({ headers: { 'apollographql-client-name': client } });
    await s.graphql(query, as('web'));
    // Cached for web (or this test would pass with no cache at all)...
    expect((await s.graphql(query, as('web'))).headers.get('x-switchboard-cache')).toBe('hit');
    // ...and not for mobile, which runs it and then has its own entry.
    expect((await s.graphql(query, as('mobile'))).headers.get('x-switchboard-cache')).toBeNull();
    expect((await s.graphql(query, as('mobile'))).headers.get('x-switchboard-cache')).toBe('hit');
  });

  it('is shared by instances through Redis', async () => {
    const env = { REDIS_URL: inject('redisUrl') };
    const a = await stack({ env, services: { productsCacheControl: 'public, max-age=60' } });
    const b = await stack({ env, services: { productsCacheControl: 'public, max-age=60' } });
    const query = productsQuery();
    const first = await a.graphql(query);
    // The gateway gives Redis 50 ms per command (a stalled Redis costs a miss, never a wait): on a
    // loaded machine a store can be dropped. Wait until a's answer is in Redis, storing again if
    // it was dropped, so what is tested is b finding it there.
    const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      for (let i = 0; i < 20 && (await redis.keys('switchboard:responses:e:*')).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (i % 5 === 4) await a.graphql(query);
      }
    } finally {
      redis.disconnect();
    }
    const second = await b.graphql(query);
    expect(second.headers.get('x-switchboard-cache')).toBe('hit');
    expect(second.body).toEqual(first.body);
    expect(b.services.requests('products')).toHaveLength(0);
  });
});
