import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Exchange } from '../src/upstream/exchange.js';
import { judge } from '../src/upstream/freshness.js';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, startStack } from './helpers/stack.js';

const stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.close()));
});

async function stackWith(cacheControl: string, env: Record<string, string> = {}): Promise<Stack> {
  const stack = await startStack({ services: { productsCacheControl: cacheControl }, env });
  stacks.push(stack);
  return stack;
}

// The HTTP cache keeps GET answers by URL: the mobile client's productCards is a @rest field,
// one GET /products?ids=… whose URL repeats (the base schema's products go through the entity
// cache instead, record by record: entity-cache.test.ts). A never-existing id makes the URL
// unique to this run: Redis outlives test runs. The second text asks the same upstream call in
// another shape, so the response cache (keyed by the operation's text) does not answer it.
const productsQuery = (nonce: string, shape = 'id name') =>
  `{ productCards(ids: ["p1", "p2", "missing-${nonce}"]) { ${shape} } }`;
const mobile = { 'apollographql-client-name': 'mobile' };
const trace = { ...mobile, 'x-switchboard-trace': '1' };

describe('upstream HTTP cache', () => {
  it('answers a repeated products query within max-age with zero products calls', async () => {
    const stack = await stackWith('public, max-age=60');
    const nonce = randomUUID();
    const first = await stack.graphql(productsQuery(nonce), { headers: trace });
    const second = await stack.graphql(productsQuery(nonce, 'name id'), { headers: trace });
    expect(second.body.data).toEqual(first.body.data);
    expect(stack.services.requests('products')).toHaveLength(1);
    const fanout = second.body.extensions?.fanout as { calls: { service: string; cacheHit: boolean }[] };
    const calls = fanout.calls;
    expect(calls).toEqual([expect.objectContaining({ service: 'products', cacheHit: true })]);
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_upstream_cache_hits_total', { service: 'products' })).toBe(1);
    expect(metricValue(metrics, 'switchboard_upstream_cache_misses_total', { service: 'products' })).toBe(1);
  });

  it.each(['no-store', 'private, max-age=60', 'no-cache', 'public'])(
    'never reuses an answer marked %s',
    async (header) => {
      const stack = await stackWith(header);
      const nonce = randomUUID();
      await stack.graphql(productsQuery(nonce), { headers: mobile });
      await stack.graphql(productsQuery(nonce, 'name id'), { headers: mobile });
      expect(stack.services.requests('products')).toHaveLength(2);
    },
  );

  it('shares cached answers between gateway instances through Redis', async () => {
    const env = { REDIS_URL: inject('redisUrl') };
    const a = await stackWith('public, max-age=60', env);
    const b = await stackWith('public, max-age=60', env);
    const nonce = randomUUID();
    const first = await a.graphql(productsQuery(nonce), { headers: mobile });
    const second = await b.graphql(productsQuery(nonce, 'name id'), { headers: mobile });
    expect(second.body.data).toEqual(first.body.data);
    expect(a.services.requests('products')).toHaveLength(1);
    expect(b.services.requests('products')).toHaveLength(0);
  });

  it('does not cache user-specific services that send no freshness', async () => {
    const stack = await stackWith('public, max-age=60');
    const { tokenFor } = await import('./helpers/stack.js');
    const token = await tokenFor('u3');
    await stack.graphql('{ me { id } }', { token });
    await stack.graphql('{ me { id } }', { token });
    expect(stack.services.requests('users')).toHaveLength(2);
  });
});

/** How http-cache-semantics judges an answer to `GET /products` with these headers. */
function freshnessOf(cacheControl: string | undefined, vary?: string) {
  const exchange = { request: { method: 'GET', path: '/products' }, headers: { 'x-user-id': 'u1' } };
  const headers: Record<string, string> = { date: new Date().toUTCString() };
  if (cacheControl !== undefined) headers['cache-control'] = cacheControl;
  if (vary !== undefined) headers.vary = vary;
  return judge(exchange as unknown as Exchange, { value: [], status: 200, headers, bytes: 2 }).freshness;
}

describe('freshness from Cache-Control (RFC 9111 by http-cache-semantics)', () => {
  it.each([
    ['public, max-age=60', 60_000, 60_000],
    ['max-age=5, s-maxage=30', 30_000, 5_000],
    ['public, max-age="10"', 10_000, 10_000],
    ['no-store', 0, 0],
    ['private, max-age=60', 0, 60_000],
    ['no-cache, max-age=60', 0, 0],
    ['private, no-cache, max-age=30', 0, 0],
    ['public', 0, 0],
    [undefined, 0, 0],
  ])('%s → shared %i ms, for its caller %i ms', (cacheControl, sharedMs, privateMs) => {
    const freshness = freshnessOf(cacheControl);
    expect(Math.round(freshness.sharedMs / 1000) * 1000).toBe(sharedMs);
    expect(Math.round(freshness.privateMs / 1000) * 1000).toBe(privateMs);
  });

  it.each([
    ['accept-encoding', []],
    ['Accept, X-User-Id', ['x-user-id']],
    ['x-user-role, x-client-name', ['x-user-role', 'x-client-name']],
    ['*', ['*']],
  ])('Vary %s → varies on %j (content negotiation is the same for every caller)', (vary, varies) => {
    expect(freshnessOf('public, max-age=60', vary).varies).toEqual(varies);
  });
});
