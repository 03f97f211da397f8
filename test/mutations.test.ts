// The two mutations end to end: what the services receive (once, never retried), what the
// caller gets back, and how a service's refusal reaches the caller.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DemoNotification } from '../src/demo/data.js';
import { dashboardQuery, expectedDashboard, moneyOf, usd } from './helpers/expected-dashboard.js';
import { clearFaults } from './helpers/faults.js';
import { expectNoLeaks } from './helpers/leaks.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';
import { warmUp } from './helpers/warm-up.js';

const ordersTimeoutMs = 500;

const placeOrder = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    id status createdAt
    total { amount currency formatted }
    items { quantity unitPrice { amount currency formatted } product { id name } }
  }
}`;

const markRead = `mutation Read($id: ID!) {
  markNotificationRead(id: $id) { id kind message read createdAt }
}`;

let stack: Stack;
let config: TempConfig;

beforeAll(async () => {
  // A retry budget is configured on purpose: a POST must not be retried even when GETs may be.
  config = await writeTempConfig(
    [
      'upstreams:',
      `  orders: { timeoutMs: ${ordersTimeoutMs}, retries: 2, breaker: { volumeThreshold: 1000000 } }`,
      `  notifications: { retries: 2 }`,
      '',
    ].join('\n'),
  );
  stack = await startStack({ configFile: config.file });
  await warmUp(stack, dashboardQuery, await tokenFor('u20'));
});
afterAll(async () => {
  await stack?.close();
  await config?.remove();
});
beforeEach(() => stack.services.clearRecords());
afterEach(async () => clearFaults(stack.services));

// placeOrder is rate limited per caller (10 a minute): each test places orders as its own user.

/** POST /orders calls recorded so far. */
const orderPosts = () => stack.services.requests('orders').filter((r) => r.method === 'POST');

/** Every upstream call recorded so far, on any service. */
const allCalls = () =>
  (['users', 'orders', 'notifications', 'products'] as const).flatMap((s) => stack.services.requests(s));

const ordersOf = (userId: string) => stack.services.data.ordersByUser.get(userId) ?? [];

describe('placeOrder', () => {
  it('posts the items once as the caller and answers the created order', async () => {
    const items = [
      { productId: 'p1', quantity: 2 },
      { productId: 'p42', quantity: 1 },
    ];
    const before = ordersOf('u10').length;
    const answer = await stack.graphql(placeOrder, {
      token: await tokenFor('u10'),
      variables: { input: { items, idempotencyKey: 'checkout-u10-1' } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();

    const posts = orderPosts();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe('/orders');
    expect(posts[0]!.body).toEqual({ items });
    expect(posts[0]!.headers).toMatchObject({
      'x-user-id': 'u10',
      'x-user-role': 'USER',
      'idempotency-key': 'checkout-u10-1',
      'content-type': 'application/json',
    });
    // The allow-list, transport headers, and the one contract header the operation needs.
    expect(Object.keys(posts[0]!.headers).sort()).toEqual(
      [
        'accept',
        'connection',
        'content-length',
        'content-type',
        'host',
        'idempotency-key',
        'x-client-name',
        'x-request-id',
        'x-user-id',
        'x-user-role',
      ].sort(),
    );

    const { products } = stack.services.data;
    const amount = items.reduce((sum, i) => sum + i.quantity * products.get(i.productId)!.price.amount, 0);
    const placed = answer.body.data!.placeOrder as { id: string };
    const created = stack.services.data.orders.get(placed.id)!;
    expect(ordersOf('u10')).toHaveLength(before + 1);
    expect(created.userId).toBe('u10');
    expect(answer.body.data!.placeOrder).toEqual({
      id: created.id,
      status: 'PENDING',
      createdAt: created.createdAt,
      total: { amount, currency: 'USD', formatted: usd(amount) },
      items: items.map((i) => {
        const product = products.get(i.productId)!;
        return {
          quantity: i.quantity,
          unitPrice: moneyOf(product.price),
          product: { id: product.id, name: product.name },
        };
      }),
    });

    // The next dashboard leads with it.
    const dashboard = await stack.graphql(dashboardQuery, { token: await tokenFor('u10') });
    expect(dashboard.body.errors).toBeUndefined();
    expect(dashboard.body.data!.dashboard).toEqual(expectedDashboard(stack.services.data, 'u10'));
    expect((dashboard.body.data!.dashboard as { recentOrders: { id: string }[] }).recentOrders[0]!.id).toBe(
      created.id,
    );
  });

  it('returns the same order for the same idempotency key, and a new one for another key', async () => {
    const token = await tokenFor('u11');
    const before = ordersOf('u11').length;
    const place = (idempotencyKey: string) =>
      stack.graphql(placeOrder, {
        token,
        variables: { input: { items: [{ productId: 'p5', quantity: 3 }], idempotencyKey } },
      });
    const first = await place('key-a');
    const again = await place('key-a');
    const other = await place('key-b');
    for (const answer of [first, again, other]) expect(answer.body.errors).toBeUndefined();
    const id = (answer: typeof first) => (answer.body.data!.placeOrder as { id: string }).id;
    expect(id(again)).toBe(id(first));
    expect(again.body.data).toEqual(first.body.data);
    expect(id(other)).not.toBe(id(first));
    expect(ordersOf('u11')).toHaveLength(before + 2);
    expect(orderPosts().map((p) => p.headers['idempotency-key'])).toEqual(['key-a', 'key-a', 'key-b']);
  });

  it('places one order for two concurrent requests with the same key', async () => {
    const token = await tokenFor('u15');
    const before = ordersOf('u15').length;
    const input = { items: [{ productId: 'p9', quantity: 1 }], idempotencyKey: 'double-click' };
    const answers = await Promise.all([
      stack.graphql(placeOrder, { token, variables: { input } }),
      stack.graphql(placeOrder, { token, variables: { input } }),
    ]);
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    expect(answers[0]!.body.data).toEqual(answers[1]!.body.data);
    expect(ordersOf('u15')).toHaveLength(before + 1);
  });

  it('places a new order each time without a key, and sends no key header', async () => {
    const token = await tokenFor('u12');
    const before = ordersOf('u12').length;
    const input = { items: [{ productId: 'p7', quantity: 1 }] };
    const first = await stack.graphql(placeOrder, { token, variables: { input } });
    const second = await stack.graphql(placeOrder, { token, variables: { input } });
    expect((first.body.data!.placeOrder as { id: string }).id).not.toBe(
      (second.body.data!.placeOrder as { id: string }).id,
    );
    expect(ordersOf('u12')).toHaveLength(before + 2);
    const posts = orderPosts();
    expect(posts).toHaveLength(2);
    for (const post of posts) expect(post.headers['idempotency-key']).toBeUndefined();
  });

  it.each([
    ['an unknown product', [{ productId: 'p999999', quantity: 1 }], 'unknown product p999999'],
    ['quantity 0', [{ productId: 'p1', quantity: 0 }], 'items[0].quantity must be an integer from 1 to 100'],
    ['no items', [], 'items must hold 1 to 50 entries, got 0'],
  ])("turns the service's 400 for %s into BAD_USER_INPUT with its message", async (_what, items, message) => {
    const before = ordersOf('u13').length;
    const answer = await stack.graphql(placeOrder, {
      token: await tokenFor('u13'),
      variables: { input: { items } },
    });
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    const [error] = answer.body.errors!;
    expect(error!.message).toBe(message);
    expect(error!.path).toEqual(['placeOrder']);
    expect(error!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', service: 'orders' });
    expect(orderPosts()).toHaveLength(1);
    expect(ordersOf('u13')).toHaveLength(before);
  });

  it('answers UPSTREAM_ERROR when the orders service fails, without retrying the POST', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 500 });
    const answer = await stack.graphql(placeOrder, {
      token: await tokenFor('u14'),
      variables: { input: { items: [{ productId: 'p1', quantity: 1 }] } },
    });
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code: 'UPSTREAM_ERROR', service: 'orders' }),
    ]);
    expectNoLeaks(answer.body.errors, stack.services);
    expect(orderPosts()).toHaveLength(1);
  });

  it.each([
    { what: 'hangs', fault: { kind: 'hang' } as const, code: 'UPSTREAM_TIMEOUT' },
    { what: 'resets the connection', fault: { kind: 'reset' } as const, code: 'UPSTREAM_UNAVAILABLE' },
  ])('answers $code when the orders service $what, and never repeats the POST', async ({ fault, code }) => {
    const before = ordersOf('u14').length;
    stack.services.setFault('orders', fault);
    const started = performance.now();
    const answer = await stack.graphql(placeOrder, {
      token: await tokenFor('u14'),
      variables: {
        input: { items: [{ productId: 'p1', quantity: 1 }], idempotencyKey: `u14-${fault.kind}` },
      },
    });
    const elapsedMs = performance.now() - started;
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code, service: 'orders' }),
    ]);
    expectNoLeaks(answer.body.errors, stack.services);
    // Loose: well below the default 2 s timeout, so the configured one applied.
    if (fault.kind === 'hang') expect(elapsedMs).toBeLessThan(5 * ordersTimeoutMs);
    // A retry fired in the background would arrive after the answer: give it the time to.
    await sleep(300);
    expect(orderPosts()).toHaveLength(1);
    expect(ordersOf('u14')).toHaveLength(before);
  });

  it('requires a signed-in caller and then calls no service', async () => {
    const answer = await stack.graphql(placeOrder, {
      variables: { input: { items: [{ productId: 'p1', quantity: 1 }], idempotencyKey: 'anon' } },
    });
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(allCalls()).toHaveLength(0);
  });
});

describe('markNotificationRead', () => {
  /** The newest unread notification of a user that the dashboard (limit 20) shows. */
  function unreadShownOnDashboard(userId: string): DemoNotification {
    const shown = (stack.services.data.notificationsByUser.get(userId) ?? []).slice(0, 20);
    const unread = shown.find((n) => !n.read);
    if (!unread) throw new Error(`demo user ${userId} has no unread notification among its newest 20`);
    return unread;
  }

  async function dashboardOf(userId: string) {
    const answer = await stack.graphql(dashboardQuery, { token: await tokenFor(userId) });
    expect(answer.body.errors).toBeUndefined();
    return answer.body.data!.dashboard as {
      notifications: { id: string; read: boolean }[];
      unreadCount: number;
    };
  }

  it('marks it read: the next dashboard shows it read and one fewer unread; twice changes nothing more', async () => {
    const notification = unreadShownOnDashboard('u2');
    const before = await dashboardOf('u2');
    expect(before.notifications.find((n) => n.id === notification.id)?.read).toBe(false);
    stack.services.clearRecords();

    const token = await tokenFor('u2');
    const answer = await stack.graphql(markRead, { token, variables: { id: notification.id } });
    expect(answer.body.errors).toBeUndefined();
    const { id, kind, message, createdAt } = notification;
    expect(answer.body.data).toEqual({ markNotificationRead: { id, kind, message, read: true, createdAt } });
    const posts = stack.services.requests('notifications').filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe(`/notifications/${id}/read`);
    expect(posts[0]!.headers['x-user-id']).toBe('u2');

    const after = await dashboardOf('u2');
    expect(after.notifications.find((n) => n.id === id)?.read).toBe(true);
    expect(after.unreadCount).toBe(before.unreadCount - 1);

    const again = await stack.graphql(markRead, { token, variables: { id } });
    expect(again.body).toEqual(answer.body);
    expect((await dashboardOf('u2')).unreadCount).toBe(before.unreadCount - 1);
  });

  it("refuses someone else's notification like a missing one, and changes nothing", async () => {
    const theirs = unreadShownOnDashboard('u3');
    const theirCount = (await dashboardOf('u3')).unreadCount;
    const token = await tokenFor('u2');
    const answers = {
      theirs: await stack.graphql(markRead, { token, variables: { id: theirs.id } }),
      missing: await stack.graphql(markRead, { token, variables: { id: 'n99999999' } }),
    };
    for (const [which, answer] of Object.entries(answers)) {
      expect(answer.body.data, which).toBeNull();
      expect(answer.body.errors, which).toHaveLength(1);
      expect(answer.body.errors![0]!.extensions, which).toMatchObject({
        code: 'BAD_USER_INPUT',
        service: 'notifications',
      });
    }
    expect(answers.theirs.body.errors![0]!.message).toBe(`notification ${theirs.id} not found`);
    expect(answers.missing.body.errors![0]!.message).toBe('notification n99999999 not found');
    expect(stack.services.data.notifications.get(theirs.id)!.read).toBe(false);
    expect((await dashboardOf('u3')).unreadCount).toBe(theirCount);
  });

  it.each([
    { what: 'fails', fault: { kind: 'status', status: 500 } as const, code: 'UPSTREAM_ERROR' },
    { what: 'resets the connection', fault: { kind: 'reset' } as const, code: 'UPSTREAM_UNAVAILABLE' },
  ])('answers $code when the service $what, and never repeats the POST', async ({ fault, code }) => {
    const notification = unreadShownOnDashboard('u5');
    stack.services.setFault('notifications', fault);
    const answer = await stack.graphql(markRead, {
      token: await tokenFor('u5'),
      variables: { id: notification.id },
    });
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code, service: 'notifications' }),
    ]);
    expectNoLeaks(answer.body.errors, stack.services);
    await sleep(300);
    expect(stack.services.requests('notifications').filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(stack.services.data.notifications.get(notification.id)!.read).toBe(false);
  });

  it('sends an id with path characters as one encoded path segment', async () => {
    const answer = await stack.graphql(markRead, {
      token: await tokenFor('u2'),
      variables: { id: '../orders?x=1' },
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const calls = allCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.method).toBe('POST');
    expect(calls[0]!.path).toBe('/notifications/..%2Forders%3Fx%3D1/read');
    expect(calls[0]!.query).toEqual({});
  });

  it('requires a signed-in caller and then calls no service', async () => {
    const answer = await stack.graphql(markRead, { variables: { id: unreadShownOnDashboard('u2').id } });
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect(allCalls()).toHaveLength(0);
  });
});

describe('mutations over GET', () => {
  async function get(params: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await fetch(`${stack.url}/graphql?${new URLSearchParams(params)}`, {
      headers: { authorization: `Bearer ${await tokenFor('u2')}`, ...headers },
    });
    return {
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: unknown[] },
    };
  }

  it('are refused and never executed', async () => {
    const notification = unreadOf('u2');
    const mutation = `mutation { markNotificationRead(id: "${notification.id}") { id read } }`;
    const both = `query Q { __typename } mutation M { markNotificationRead(id: "${notification.id}") { id } }`;
    const attempts = [
      await get({ query: mutation }),
      // With the CSRF check satisfied, the GET-is-for-queries rule itself must refuse it.
      await get({ query: mutation }, { 'apollo-require-preflight': 'true' }),
      await get({ query: both, operationName: 'M' }, { 'apollo-require-preflight': 'true' }),
    ];
    for (const { status, body } of attempts) {
      expect([400, 405]).toContain(status);
      expect(body.data).toBeUndefined();
      expect(body.errors?.length).toBeGreaterThan(0);
    }
    expect(attempts[1]!.status).toBe(405);
    expect(allCalls()).toHaveLength(0);
    expect(stack.services.data.notifications.get(notification.id)!.read).toBe(false);
  });

  it('still serve queries', async () => {
    const answer = await get(
      { query: '{ products(ids: ["p1"]) { id } }' },
      { 'apollo-require-preflight': 'true' },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ products: [{ id: 'p1' }] });
  });

  /** Any unread notification of a user (the dashboard need not show it). */
  function unreadOf(userId: string): DemoNotification {
    const unread = (stack.services.data.notificationsByUser.get(userId) ?? []).find((n) => !n.read);
    if (!unread) throw new Error(`demo user ${userId} has no unread notification`);
    return unread;
  }
});
