// One caller's bad input is that caller's error, never everyone's outage: input that cannot form
// a request is BAD_USER_INPUT before anything is sent, and counts toward no breaker, retry budget
// or ejection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let stack: Stack;
let config: TempConfig;
beforeAll(async () => {
  // A breaker that opens on the first failure in a window of two calls: bad input must not trip it.
  config = await writeTempConfig(
    'upstreams:\n  orders: { breaker: { volumeThreshold: 2, errorThresholdPercent: 50, resetTimeoutMs: 60000 } }\n' +
      'rateLimits: { tiers: { anonymous: { requests: 100000, windowSeconds: 60 } } }',
  );
  stack = await startStack({ configFile: config.file });
});
afterAll(async () => {
  await stack?.close();
  await config?.remove();
});

describe("a caller's input that cannot form a request", () => {
  it.each([
    ['a line break', 'key\nx-injected: 1'],
    ['a carriage return', 'key\rmore'],
    ['a NUL', 'key\u0000more'],
    ['a non-ASCII character', 'clé'],
    ['nothing at all', ''],
  ])('an idempotency key holding %s is BAD_USER_INPUT for that caller, with no call', async (_what, key) => {
    const answer = await stack.graphql(
      'mutation ($key: String!) { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }], idempotencyKey: $key }) { id } }',
      { token: await tokenFor('u9'), variables: { key } },
    );
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.services.requests('orders')).toHaveLength(0);
  });

  it('ten of them leave the orders breaker closed: the next caller is served', async () => {
    const token = await tokenFor('u9');
    for (let i = 0; i < 10; i++) {
      await stack.graphql(
        'mutation ($key: String!) { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }], idempotencyKey: $key }) { id } }',
        { token, variables: { key: `bad\n${i}` } },
      );
    }
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_upstream_breaker_state', { service: 'orders' })).toBe(0);
    const other = await stack.graphql(
      'mutation { placeOrder(input: { items: [{ productId: "p2", quantity: 1 }] }) { id } }',
      {
        token: await tokenFor('u10'),
      },
    );
    expect(other.body.errors).toBeUndefined();
    expect(stack.services.requests('orders').filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});

describe('ids are ids', () => {
  it.each([['..'], ['.'], ['']])(
    'markNotificationRead(id: %j) is BAD_USER_INPUT with no call (a path segment never climbs)',
    async (id) => {
      stack.services.clearRecords();
      const answer = await stack.graphql('mutation ($id: ID!) { markNotificationRead(id: $id) { id } }', {
        token: await tokenFor('u11'),
        variables: { id },
      });
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      // (An order placed above may still post its ORDER notification: only /read calls matter.)
      const reads = stack.services.requests('notifications').filter((r) => r.path.endsWith('/read'));
      expect(reads).toHaveLength(0);
    },
  );

  it('an id with slashes or dots inside stays one encoded segment', async () => {
    stack.services.clearRecords();
    await stack.graphql('mutation { markNotificationRead(id: "../../users/u1") { id } }', {
      token: await tokenFor('u11'),
    });
    expect(
      stack.services
        .requests('notifications')
        .map((r) => r.path)
        .filter((path) => path.endsWith('/read')),
    ).toEqual(['/notifications/..%2F..%2Fusers%2Fu1/read']);
  });

  it('an id holding commas is one id: it names nothing, and fetches nothing else', async () => {
    stack.services.clearRecords();
    const answer = await stack.graphql('{ products(ids: ["p1", "p2,p3,p4"]) { id } }');
    // As for any id that names nothing: null in its place.
    expect(answer.body.data?.products).toEqual([{ id: 'p1' }, null]);
    const asked = stack.services.requests('products').map((r) => r.query.ids);
    expect(asked).toEqual(['p1']);
  });
});
