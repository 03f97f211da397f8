import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatMoney } from '../src/resolvers/money.js';
import { dashboardQuery, expectedDashboard, usd } from './helpers/expected-dashboard.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());
beforeEach(() => stack.services.clearRecords());

describe('dashboard', () => {
  it('answers exactly what the services hold', async () => {
    for (const userId of ['u1', 'u2', 'u77']) {
      const answer = await stack.graphql(dashboardQuery, { token: await tokenFor(userId) });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?.dashboard).toEqual(expectedDashboard(stack.services.data, userId));
    }
  });

  it('formats money in en-US', async () => {
    expect(formatMoney(1299, 'USD')).toBe('$12.99');
    expect(formatMoney(123456789, 'USD')).toBe('$1,234,567.89');
    expect(formatMoney(500, 'JPY')).toBe('¥500');
    expect(formatMoney(1299, 'EUR')).toBe('€12.99');
    expect(formatMoney(1299, 'XYZ?')).toBe('12.99 XYZ?');
    // The tests' own formatter, which expected answers use, agrees with these literals too.
    expect([usd(1299), usd(123456789), usd(5), usd(0)]).toEqual([
      '$12.99',
      '$1,234,567.89',
      '$0.05',
      '$0.00',
    ]);
  });

  it('costs one call per service per batch level: users, orders, notifications ×2, products', async () => {
    await stack.graphql(dashboardQuery, { token: await tokenFor('u1') });
    const calls = (service: Parameters<typeof stack.services.requests>[0]) =>
      stack.services.requests(service);
    expect(calls('users')).toHaveLength(1);
    expect(calls('users')[0]!.query).toEqual({ ids: 'u1' });
    expect(calls('orders')).toHaveLength(1);
    expect(calls('orders')[0]!.query).toEqual({ userIds: 'u1', limit: '5' });
    expect(
      calls('notifications')
        .map((r) => r.query)
        .sort((a, b) => a.unreadOnly!.localeCompare(b.unreadOnly!)),
    ).toEqual([
      { userIds: 'u1', unreadOnly: 'false', limit: '20' },
      { userIds: 'u1', unreadOnly: 'true', limit: '100' },
    ]);
    const products = calls('products');
    expect(products).toHaveLength(1);
    const productIds = new Set(
      (stack.services.data.ordersByUser.get('u1') ?? [])
        .slice(0, 5)
        .flatMap((o) => o.items.map((i) => i.productId)),
    );
    expect(new Set(products[0]!.query.ids!.split(','))).toEqual(productIds);
    expect(products[0]!.query.ids!.split(',')).toHaveLength(productIds.size);
  });

  it('starts users, orders and notifications at once, before the users call answers', async () => {
    stack.services.users.setLatencyMs(150);
    try {
      const answer = await stack.graphql(dashboardQuery, { token: await tokenFor('u2') });
      expect(answer.body.errors).toBeUndefined();
    } finally {
      stack.services.users.setLatencyMs(0);
    }
    const [users] = stack.services.requests('users');
    const orders = stack.services.requests('orders');
    const notifications = stack.services.requests('notifications');
    for (const request of [...orders, ...notifications]) {
      expect(request.receivedAt).toBeLessThan(users!.answeredAt!);
    }
    // And the products call waits only for orders, which it needs.
    const [products] = stack.services.requests('products');
    expect(products!.receivedAt).toBeGreaterThanOrEqual(orders[0]!.answeredAt!);
  });

  it('asks orders once per batch level: the dashboard’s limit, then the user’s', async () => {
    const answer = await stack.graphql(
      '{ dashboard { recentOrders(limit: 2) { id } user { orders(limit: 7) { id } } } }',
      { token: await tokenFor('u1') },
    );
    expect(answer.body.errors).toBeUndefined();
    const all = stack.services.data.ordersByUser.get('u1')!.map((o) => o.id);
    const dashboard = answer.body.data!.dashboard as {
      recentOrders: { id: string }[];
      user: { orders: { id: string }[] };
    };
    expect(dashboard.recentOrders.map((o) => o.id)).toEqual(all.slice(0, 2));
    expect(dashboard.user.orders.map((o) => o.id)).toEqual(all.slice(0, 7));
    // recentOrders is asked at once; user.orders waits for the user, a second batch level: so
    // exactly two calls, each with its own limit, never one per field or per order.
    expect(stack.services.requests('orders').map((r) => r.query)).toEqual([
      { userIds: 'u1', limit: '2' },
      { userIds: 'u1', limit: '7' },
    ]);
  });

  it('rejects out-of-range limits before calling a service', async () => {
    const answer = await stack.graphql('{ dashboard { recentOrders(limit: 0) { id } } }', {
      token: await tokenFor('u1'),
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.path).toEqual(['dashboard', 'recentOrders']);
    expect(stack.services.requests('orders')).toHaveLength(0);
  });
});

describe('several users in one request', () => {
  it('batches their orders into one call and their notifications into one, whatever the aliases', async () => {
    const admin = await tokenFor('u1', 'ADMIN');
    const answer = await stack.graphql(
      `{
        a: user(id: "u2") { orders(limit: 2) { id } notifications(limit: 3) { id } }
        b: user(id: "u3") { orders(limit: 2) { id } notifications(limit: 3) { id } }
        c: user(id: "u4") { orders(limit: 2) { id } notifications(limit: 3) { id } }
      }`,
      { token: admin },
    );
    expect(answer.body.errors).toBeUndefined();
    const ids = (query: Record<string, string>) => query.userIds!.split(',').sort();
    const orders = stack.services.requests('orders');
    expect(orders).toHaveLength(1);
    expect(ids(orders[0]!.query)).toEqual(['u2', 'u3', 'u4']);
    expect(orders[0]!.query.limit).toBe('2');
    const notifications = stack.services.requests('notifications');
    expect(notifications).toHaveLength(1);
    expect(ids(notifications[0]!.query)).toEqual(['u2', 'u3', 'u4']);
    expect(notifications[0]!.query.limit).toBe('3');
    // Each user gets its own records back, matched by user id.
    const data = answer.body.data as Record<string, { orders: { id: string }[] }>;
    for (const [alias, user] of [
      ['a', 'u2'],
      ['b', 'u3'],
      ['c', 'u4'],
    ] as const) {
      const expected = stack.services.data.ordersByUser
        .get(user)!
        .slice(0, 2)
        .map((o) => o.id);
      expect(data[alias]!.orders.map((o) => o.id)).toEqual(expected);
    }
  });
});

describe('products', () => {
  it('keeps the asked order, null for unknown ids, one call', async () => {
    const answer = await stack.graphql('{ products(ids: ["p3", "nope", "p1", "p3"]) { id name } }');
    expect(answer.body.errors).toBeUndefined();
    const { products } = stack.services.data;
    expect(answer.body.data!.products).toEqual([
      { id: 'p3', name: products.get('p3')!.name },
      null,
      { id: 'p1', name: products.get('p1')!.name },
      { id: 'p3', name: products.get('p3')!.name },
    ]);
    const calls = stack.services.requests('products');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query.ids!.split(',').sort()).toEqual(['nope', 'p1', 'p3']);
  });

  it('splits 250 ids into three calls of at most 100, spread over the replicas', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `p${i + 1}`);
    const answer = await stack.graphql('query ($ids: [ID!]!) { products(ids: $ids) { id } }', {
      variables: { ids },
    });
    expect(answer.body.errors).toBeUndefined();
    expect((answer.body.data!.products as { id: string }[]).map((p) => p.id)).toEqual(ids);
    const calls = stack.services.requests('products');
    expect(calls.map((c) => c.query.ids!.split(',').length).sort((a, b) => a - b)).toEqual([50, 100, 100]);
    expect(new Set(calls.flatMap((c) => c.query.ids!.split(',')))).toEqual(new Set(ids));
    // Round-robin: three calls land on three different replicas.
    expect(stack.services.products.map((replica) => replica.requests.length)).toEqual([1, 1, 1]);
  });

  it('refuses more than 500 ids without calling the service', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `p${i + 1}`);
    const answer = await stack.graphql('query ($ids: [ID!]!) { products(ids: $ids) { id } }', {
      variables: { ids },
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.services.requests('products')).toHaveLength(0);
  });
});
