import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freshnessMs, parseCacheControl, privateFreshnessMs } from '../src/upstream/http-cache.js';
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

// A never-existing id makes the cache key unique to this run: Redis outlives test runs.
// The second text asks the same upstream call in another shape, so the response cache (keyed by
// the operation's text) does not answer it and the upstream HTTP cache is what is tested.
const productsQuery = (nonce: string, shape = 'id name') =>
  `{ products(ids: ["p1", "p2", "missing-${nonce}"]) { ${shape} } }`;
const trace = { 'x-switchboard-trace': '1' };

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
      await stack.graphql(productsQuery(nonce));
      await stack.graphql(productsQuery(nonce, 'name id'));
      expect(stack.services.requests('products')).toHaveLength(2);
    },
  );

  it('shares cached answers between gateway instances through Redis', async () => {
    const env = { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
    const a = await stackWith('public, max-age=60', env);
    const b = await stackWith('public, max-age=60', env);
    const nonce = randomUUID();
    const first = await a.graphql(productsQuery(nonce));
    const second = await b.graphql(productsQuery(nonce, 'name id'));
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

describe('freshness from Cache-Control', () => {
  it.each([
    ['public, max-age=60', undefined, 60_000],
    ['max-age=5, s-maxage=30', undefined, 30_000],
    ['public, max-age="10"', undefined, 10_000],
    ['no-store', undefined, 0],
    ['private, max-age=60', undefined, 0],
    ['no-cache, max-age=60', undefined, 0],
    ['public', undefined, 0],
    [undefined, undefined, 0],
    ['public, max-age=60', 'accept-encoding', 60_000],
    ['public, max-age=60', 'x-user-id', 0],
    ['public, max-age=60', '*', 0],
  ])('%s with Vary %s → %i ms', (cacheControl, vary, expected) => {
    expect(freshnessMs(parseCacheControl(cacheControl), vary)).toBe(expected);
  });
});

describe('freshness for a per-user cache', () => {
  it.each([
    ['private, max-age=30', 30_000],
    ['public, s-maxage=20', 20_000],
    ['max-age=5, s-maxage=30', 5_000],
    ['private, no-cache, max-age=30', 0],
    ['no-store', 0],
    [undefined, 0],
  ])('%s → %i ms', (cacheControl, expected) => {
    expect(privateFreshnessMs(parseCacheControl(cacheControl))).toBe(expected);
  });
});
