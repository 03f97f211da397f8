import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData, DemoNotification, DemoOrder, DemoProduct, DemoUser } from '../src/demo/data.js';
import { createDemoData } from '../src/demo/data.js';
import type { DemoServices } from '../src/demo/services.js';
import { startDemoServices } from '../src/demo/services.js';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch plus JSON parsing; the body stays text when it is not JSON. */
async function call<T = unknown>(url: string, init?: RequestInit): Promise<Answer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (the html and malformed faults): keep the text.
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

function post<T = unknown>(url: string, body: unknown, headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return call<T>(url, {
    method: 'POST',
    body: payload,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** The network error code behind a failed fetch (or its body), e.g. ECONNREFUSED. */
async function failureOf(attempt: () => Promise<unknown>): Promise<string> {
  try {
    await attempt();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).name;
  }
  throw new Error('expected the request to fail');
}

function isStrictlyNewestFirst(items: { createdAt: string }[]): boolean {
  return items.every((item, index) => index === 0 || item.createdAt < (items[index - 1]?.createdAt ?? ''));
}

function serialize(data: DemoData): string {
  return JSON.stringify(Object.entries(data).map(([name, map]) => [name, [...map.entries()]]));
}

describe('demo data', () => {
  let data: DemoData;
  beforeAll(() => {
    data = createDemoData();
  });

  it('is the same for the same seed, different for another, and a fresh copy each call', () => {
    const again = createDemoData();
    expect(serialize(again)).toBe(serialize(data));
    expect(createDemoData(7).users.get('u1')).not.toEqual(data.users.get('u1'));
    again.users.get('u1')!.name = 'changed';
    expect(data.users.get('u1')!.name).not.toBe('changed');
  });

  it('has users u1…u1000 with u1 the only ADMIN, and products p1…p500 priced in USD cents', () => {
    expect([...data.users.keys()]).toEqual(Array.from({ length: 1000 }, (_, i) => `u${i + 1}`));
    expect(data.users.get('u1')!.role).toBe('ADMIN');
    expect([...data.users.values()].filter((user) => user.role === 'ADMIN')).toHaveLength(1);
    const badUsers = [...data.users.values()].filter(
      (user) => !/^[a-z.]+\d+@example\.(com|org|net)$/.test(user.email) || !RFC3339_UTC.test(user.createdAt),
    );
    expect(badUsers).toEqual([]);
    expect([...data.products.keys()]).toEqual(Array.from({ length: 500 }, (_, i) => `p${i + 1}`));
    const products = [...data.products.values()];
    const badPrices = products.filter(
      ({ price }) =>
        !Number.isInteger(price.amount) ||
        price.amount < 99 ||
        price.amount > 99_999 ||
        price.currency !== 'USD',
    );
    expect(badPrices).toEqual([]);
    expect(products.filter((product) => product.inStock).length).toBeGreaterThan(400);
  });

  // Plain checks collected into one assertion: tens of thousands of expect() calls take seconds.
  it('gives every user 0–30 orders of 1–5 items with correct totals, newest first', () => {
    const problems: string[] = [];
    for (const [userId, orders] of data.ordersByUser) {
      if (orders.length > 30) problems.push(`${userId} has ${orders.length} orders`);
      if (!isStrictlyNewestFirst(orders)) problems.push(`${userId}'s orders are not newest first`);
      for (const order of orders) {
        const sum = order.items.reduce((total, item) => total + item.quantity * item.unitPrice.amount, 0);
        const wrongPrice = order.items.some(
          (item) => item.unitPrice.amount !== data.products.get(item.productId)?.price.amount,
        );
        if (
          order.userId !== userId ||
          data.orders.get(order.id) !== order ||
          !RFC3339_UTC.test(order.createdAt) ||
          order.items.length < 1 ||
          order.items.length > 5 ||
          wrongPrice ||
          order.total.amount !== sum ||
          order.total.currency !== 'USD'
        ) {
          problems.push(JSON.stringify(order));
        }
      }
    }
    expect(problems).toEqual([]);
    const listed = [...data.ordersByUser.values()].reduce((count, orders) => count + orders.length, 0);
    expect(listed).toBe(data.orders.size);
  });

  it('gives every user 0–40 notifications, newest first', () => {
    const problems: string[] = [];
    for (const [userId, notifications] of data.notificationsByUser) {
      if (notifications.length > 40) problems.push(`${userId} has ${notifications.length} notifications`);
      if (!isStrictlyNewestFirst(notifications))
        problems.push(`${userId}'s notifications are not newest first`);
      for (const notification of notifications) {
        if (
          notification.userId !== userId ||
          data.notifications.get(notification.id) !== notification ||
          !RFC3339_UTC.test(notification.createdAt) ||
          !['ORDER', 'PROMO', 'SYSTEM'].includes(notification.kind) ||
          notification.message === ''
        ) {
          problems.push(JSON.stringify(notification));
        }
      }
    }
    expect(problems).toEqual([]);
    const listed = [...data.notificationsByUser.values()].reduce((count, list) => count + list.length, 0);
    expect(listed).toBe(data.notifications.size);
  });

  it('gives u1 and u2 at least 5 orders and 5 unread notifications', () => {
    for (const userId of ['u1', 'u2']) {
      expect(data.ordersByUser.get(userId)!.length).toBeGreaterThanOrEqual(5);
      expect(data.notificationsByUser.get(userId)!.filter((n) => !n.read).length).toBeGreaterThanOrEqual(5);
    }
  });

  it('builds quickly', () => {
    const started = performance.now();
    createDemoData(1);
    // The target is 100 ms; the bound is loose because CI machines and parallel workers are noisy.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('demo services', () => {
  let services: DemoServices;
  let users: string;
  let orders: string;
  let notifications: string;
  beforeAll(async () => {
    services = await startDemoServices();
    ({ users, orders, notifications } = services.urls);
  });
  afterAll(() => services.close());
  afterEach(() => {
    for (const server of services.servers()) {
      server.setFault(null);
      server.setLatencyMs(0);
    }
    services.clearRecords();
  });

  describe('contract', () => {
    it('answers /health on every server, products replicas included', async () => {
      expect(services.products).toHaveLength(3);
      expect(new Set(services.urls.products).size).toBe(3);
      for (const server of services.servers()) {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const answer = await call(`${server.url}/health`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toBe('application/json');
        expect(answer.body).toEqual({ status: 'ok' });
      }
    });

    it('looks users up in batches, unknown ids absent, never in the requested order', async () => {
      const answer = await call<DemoUser[]>(`${users}/users?ids=u1,u2,u3,u9999`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json');
      const ids = answer.body.map((user) => user.id);
      expect([...ids].sort()).toEqual(['u1', 'u2', 'u3']);
      expect(ids).not.toEqual(['u1', 'u2', 'u3']);
      expect(answer.body.find((user) => user.id === 'u1')).toEqual(services.data.users.get('u1'));
    });

    it('answers one user, or 404 with an error body', async () => {
      expect((await call(`${users}/users/u7`)).body).toEqual(services.data.users.get('u7'));
      const missing = await call(`${users}/users/u0`);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: expect.any(String) });
    });

    it.each([
      ['missing', ''],
      ['empty', '?ids='],
      ['only commas', '?ids=,,'],
      ['101 ids', `?ids=${Array.from({ length: 101 }, (_, i) => `u${i + 1}`).join(',')}`],
    ])('rejects a batch with %s ids with 400', async (_, query) => {
      const answer = await call(`${users}/users${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: expect.stringContaining('ids') });
    });

    it('accepts exactly 100 ids', async () => {
      const ids = Array.from({ length: 100 }, (_, i) => `u${i + 1}`).join(',');
      expect((await call<DemoUser[]>(`${users}/users?ids=${ids}`)).body).toHaveLength(100);
    });

    it('lists recent orders per user, newest first, limited per user', async () => {
      const answer = await call<DemoOrder[]>(`${orders}/orders?userIds=u1,u2,u9999&limit=3`);
      expect(answer.status).toBe(200);
      for (const userId of ['u1', 'u2']) {
        const mine = answer.body.filter((order) => order.userId === userId);
        expect(mine).toEqual(services.data.ordersByUser.get(userId)!.slice(0, 3));
      }
      expect(answer.body).toHaveLength(6);
      const byDefault = await call<DemoOrder[]>(`${orders}/orders?userIds=u1`);
      expect(byDefault.body).toEqual(services.data.ordersByUser.get('u1')!.slice(0, 10));
    });

    it.each(['0', '51', 'ten', '2.5', ''])('rejects orders limit=%s with 400', async (limit) => {
      expect((await call(`${orders}/orders?userIds=u1&limit=${limit}`)).status).toBe(400);
    });

    it('answers one order, or 404', async () => {
      const first = services.data.ordersByUser.get('u1')![0]!;
      expect((await call(`${orders}/orders/${first.id}`)).body).toEqual(first);
      expect((await call(`${orders}/orders/o0`)).status).toBe(404);
    });

    it('lists notifications per user, newest first, optionally unread only', async () => {
      const all = await call<DemoNotification[]>(`${notifications}/notifications?userIds=u1,u2`);
      expect(all.status).toBe(200);
      for (const userId of ['u1', 'u2']) {
        const expected = services.data.notificationsByUser.get(userId)!.slice(0, 20);
        expect(all.body.filter((n) => n.userId === userId)).toEqual(expected);
      }
      const unread = await call<DemoNotification[]>(
        `${notifications}/notifications?userIds=u1,u2&unreadOnly=true&limit=5`,
      );
      expect(unread.body).toHaveLength(10);
      expect(unread.body.every((n) => !n.read)).toBe(true);
      expect(isStrictlyNewestFirst(unread.body.filter((n) => n.userId === 'u1'))).toBe(true);
    });

    it.each([
      ['unreadOnly=yes', 'unreadOnly'],
      ['limit=101', 'limit'],
      ['limit=0', 'limit'],
    ])('rejects notifications %s with 400', async (query, name) => {
      const answer = await call(`${notifications}/notifications?userIds=u1&${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: expect.stringContaining(name) });
    });

    it('looks products up on every replica with the cache-control header', async () => {
      for (const url of services.urls.products) {
        const answer = await call<DemoProduct[]>(`${url}/products?ids=p1,p2,p9999`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('cache-control')).toBe('public, max-age=60');
        expect(answer.body.map((product) => product.id).sort()).toEqual(['p1', 'p2']);
      }
      expect((await call(`${services.urls.products[0]}/products`)).status).toBe(400);
    });

    it('answers 404 for an unknown path, 405 for a wrong method, 413 for a body over 1 MB', async () => {
      expect((await call(`${users}/nope`)).status).toBe(404);
      expect((await call(`${users}/orders?userIds=u1`)).status).toBe(404);
      expect((await call(`${users}/users/`)).status).toBe(404);
      const wrongMethod = await call(`${users}/users/u1`, { method: 'DELETE' });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('GET');
      expect(wrongMethod.body).toEqual({ error: expect.any(String) });
      const tooLarge = await post(`${orders}/orders`, 'x'.repeat(1024 * 1024 + 1), { 'x-user-id': 'u1' });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body).toEqual({ error: expect.any(String) });
    });

    it('survives hostile input', async () => {
      expect((await call(`${users}/users/%E0%A4%A`)).status).toBe(400);
      expect((await call(`${users}/users?ids=%ZZ,u1`)).status).toBe(200);
      expect((await post(`${orders}/orders`, 'null', { 'x-user-id': 'u1' })).status).toBe(400);
      expect((await post(`${orders}/orders`, '[1]', { 'x-user-id': 'u1' })).status).toBe(400);
      expect((await post(`${orders}/orders`, { items: [null, 7] }, { 'x-user-id': 'u1' })).status).toBe(400);
      const { port } = new URL(orders);
      expect(await rawExchange(Number(port), 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
      const truncated =
        'POST /orders HTTP/1.1\r\nhost: x\r\nx-user-id: u1\r\ncontent-length: 100\r\n\r\n{"items":';
      const count = services.data.orders.size;
      expect(await rawExchange(Number(port), truncated)).not.toMatch(/^HTTP\/1\.1 [25]/);
      expect(services.data.orders.size).toBe(count);
      expect((await call(`${orders}/health`)).status).toBe(200);
    });
  });

  describe('POST /orders', () => {
    const item = { productId: 'p3', quantity: 2 };

    it('creates a pending order for the x-user-id user, first in their orders', async () => {
      const before = services.data.ordersByUser.get('u5')![0];
      const answer = await post<DemoOrder>(
        `${orders}/orders`,
        { items: [item, { productId: 'p4', quantity: 1 }] },
        { 'x-user-id': 'u5' },
      );
      expect(answer.status).toBe(201);
      const order = answer.body;
      const p3 = services.data.products.get('p3')!.price;
      const p4 = services.data.products.get('p4')!.price;
      expect(order).toMatchObject({ userId: 'u5', status: 'PENDING' });
      expect(order.items).toEqual([
        { productId: 'p3', quantity: 2, unitPrice: p3 },
        { productId: 'p4', quantity: 1, unitPrice: p4 },
      ]);
      expect(order.total).toEqual({ amount: 2 * p3.amount + p4.amount, currency: 'USD' });
      expect(order.createdAt).toMatch(RFC3339_UTC);
      if (before) expect(order.createdAt > before.createdAt).toBe(true);
      expect(Number(order.id.slice(1))).toBeGreaterThan(createDemoData().orders.size);
      expect(answer.headers.get('location')).toBe(`/orders/${order.id}`);
      expect((await call(`${orders}/orders/${order.id}`)).body).toEqual(order);
      const listed = await call<DemoOrder[]>(`${orders}/orders?userIds=u5&limit=1`);
      expect(listed.body).toEqual([order]);
    });

    it('returns the same order again for the same Idempotency-Key and user', async () => {
      const headers = { 'x-user-id': 'u6', 'idempotency-key': 'checkout-42' };
      const count = services.data.orders.size;
      const first = await post<DemoOrder>(`${orders}/orders`, { items: [item] }, headers);
      const again = await post<DemoOrder>(`${orders}/orders`, { items: [item] }, headers);
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.body).toEqual(first.body);
      expect(services.data.orders.size).toBe(count + 1);
      const otherUser = await post<DemoOrder>(
        `${orders}/orders`,
        { items: [item] },
        { ...headers, 'x-user-id': 'u7' },
      );
      expect(otherUser.body.id).not.toBe(first.body.id);
      const noKey = await post<DemoOrder>(`${orders}/orders`, { items: [item] }, { 'x-user-id': 'u6' });
      expect(noKey.body.id).not.toBe(first.body.id);
    });

    it.each([
      ['no x-user-id', { items: [item] }, {}, 'x-user-id'],
      ['an unknown user', { items: [item] }, { 'x-user-id': 'u9999' }, 'unknown user u9999'],
      ['bad JSON', '{"items": [', { 'x-user-id': 'u1' }, 'JSON'],
      ['no body', '', { 'x-user-id': 'u1' }, 'items'],
      ['no items', {}, { 'x-user-id': 'u1' }, 'items'],
      ['empty items', { items: [] }, { 'x-user-id': 'u1' }, 'items'],
      ['51 items', { items: Array.from({ length: 51 }, () => item) }, { 'x-user-id': 'u1' }, 'items'],
      [
        'an unknown product',
        { items: [{ productId: 'p9999', quantity: 1 }] },
        { 'x-user-id': 'u1' },
        'p9999',
      ],
      ['a missing productId', { items: [{ quantity: 1 }] }, { 'x-user-id': 'u1' }, 'items[0].productId'],
      ['quantity 0', { items: [{ productId: 'p1', quantity: 0 }] }, { 'x-user-id': 'u1' }, 'quantity'],
      ['quantity 101', { items: [{ productId: 'p1', quantity: 101 }] }, { 'x-user-id': 'u1' }, 'quantity'],
      [
        'quantity 1.5',
        { items: [item, { productId: 'p1', quantity: 1.5 }] },
        { 'x-user-id': 'u1' },
        'items[1]',
      ],
      ['quantity "2"', { items: [{ productId: 'p1', quantity: '2' }] }, { 'x-user-id': 'u1' }, 'quantity'],
    ])('rejects %s with 400 and a message naming it', async (_, body, headers, message) => {
      const count = services.data.orders.size;
      const answer = await post<{ error: string }>(`${orders}/orders`, body, headers);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toContain(message);
      expect(services.data.orders.size).toBe(count);
    });
  });

  describe('POST /notifications/{id}/read', () => {
    it('marks the caller’s own notification read, idempotently', async () => {
      const target = services.data.notificationsByUser.get('u2')!.find((n) => !n.read)!;
      const url = `${notifications}/notifications/${target.id}/read`;
      const first = await post<DemoNotification>(url, '', { 'x-user-id': 'u2' });
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ ...target, read: true });
      const again = await post<DemoNotification>(url, '', { 'x-user-id': 'u2' });
      expect(again.body).toEqual(first.body);
      const unread = await call<DemoNotification[]>(
        `${notifications}/notifications?userIds=u2&unreadOnly=true&limit=100`,
      );
      expect(unread.body.map((n) => n.id)).not.toContain(target.id);
    });

    it('answers 404 for someone else’s or an unknown notification, 400 without x-user-id', async () => {
      const theirs = services.data.notificationsByUser.get('u1')!.find((n) => !n.read)!;
      const url = `${notifications}/notifications/${theirs.id}/read`;
      const foreign = await post(url, '', { 'x-user-id': 'u2' });
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual({ error: expect.any(String) });
      expect(theirs.read).toBe(false);
      expect((await post(`${notifications}/notifications/n0/read`, '', { 'x-user-id': 'u1' })).status).toBe(
        404,
      );
      expect((await post(url, '')).status).toBe(400);
    });
  });

  describe('faults', () => {
    it('hang: accepts the request and never answers', async () => {
      services.users.setFault({ kind: 'hang' });
      const code = await failureOf(() => fetch(`${users}/health`, { signal: AbortSignal.timeout(150) }));
      expect(code).toBe('TimeoutError');
      const [record] = services.requests('users', '/health');
      expect(record?.answeredAt).toBeUndefined();
    });

    it('refuse: ECONNREFUSED, dropping open connections, then the same port again once cleared', async () => {
      services.users.setFault({ kind: 'hang' });
      const inFlight = failureOf(() => fetch(`${users}/users/u1`));
      await waitFor(() => services.requests('users').length === 1);
      services.users.setFault({ kind: 'refuse' });
      expect(await inFlight).not.toBe('');
      expect(await failureOf(() => fetch(`${users}/health`))).toBe('ECONNREFUSED');
      services.users.setFault(null);
      expect(services.users.url).toBe(users);
      expect((await call(`${users}/health`)).status).toBe(200);
    });

    it('reset: 200 headers, part of a body, then a socket error', async () => {
      services.users.setFault({ kind: 'reset' });
      const code = await failureOf(async () => (await fetch(`${users}/users/u1`)).text());
      expect(code).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    });

    it('status: that status with the injected error body', async () => {
      services.setFault('products', { kind: 'status', status: 503 });
      for (const url of services.urls.products) {
        const answer = await call(`${url}/products?ids=p1`);
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({ error: 'injected failure' });
      }
      expect((await call(`${users}/users/u1`)).status).toBe(200);
    });

    it('malformed: 200 application/json that does not parse', async () => {
      services.users.setFault({ kind: 'malformed' });
      const response = await fetch(`${users}/users/u1`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      await expect(response.json()).rejects.toThrow(SyntaxError);
    });

    it('html: 200 with an HTML error page', async () => {
      services.users.setFault({ kind: 'html' });
      const answer = await call<string>(`${users}/health`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(answer.body).toContain('<html>');
    });

    it('huge: a valid JSON array of about the requested size', async () => {
      services.users.setFault({ kind: 'huge', bytes: 300_000 });
      const response = await fetch(`${users}/users?ids=u1`);
      const text = await response.text();
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(Math.abs(text.length - 300_000)).toBeLessThan(300);
      expect(Array.isArray(JSON.parse(text))).toBe(true);
    });

    it('slow: the right answer, late', async () => {
      services.users.setFault({ kind: 'slow', delayMs: 150 });
      const started = performance.now();
      const answer = await call(`${users}/users/u1`);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      expect(answer.body).toEqual(services.data.users.get('u1'));
    });

    it('rejects an unusable fault with a TypeError naming the field', () => {
      expect(() => services.users.setFault({ kind: 'status', status: 42 })).toThrow(/status/);
      expect(() => services.setFault('orders', { kind: 'slow', delayMs: -1 })).toThrow(/delayMs/);
      expect(() => services.users.setFault({ kind: 'huge', bytes: Number.NaN })).toThrow(/bytes/);
    });
  });

  describe('latency and recording', () => {
    it('adds latency before every answer', async () => {
      services.orders.setLatencyMs(120);
      const started = performance.now();
      expect((await call(`${orders}/health`)).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
      const [record] = services.requests('orders', '/health');
      expect(record!.answeredAt! - record!.receivedAt).toBeGreaterThanOrEqual(110);
      expect(() => services.orders.setLatencyMs(-5)).toThrow(TypeError);
    });

    it('records method, path, decoded query, headers, body and timestamps in arrival order', async () => {
      const headers = {
        'x-request-id': 'req-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      };
      await call(`${users}/health`);
      await call(`${users}/users?ids=u1%2Cu2&extra=a+b`, { headers });
      await post(`${orders}/orders`, { items: [{ productId: 'p1', quantity: 1 }] }, { 'x-user-id': 'u8' });
      const [health, lookup] = services.users.requests;
      expect(health).toMatchObject({ method: 'GET', path: '/health' });
      expect(lookup).toMatchObject({
        method: 'GET',
        path: '/users',
        query: { ids: 'u1,u2', extra: 'a b' },
        headers: { 'x-request-id': 'req-1', traceparent: headers.traceparent },
        body: undefined,
      });
      expect(lookup!.receivedAt).toBeGreaterThan(health!.receivedAt);
      expect(lookup!.answeredAt).toBeGreaterThanOrEqual(lookup!.receivedAt);
      expect(services.requests('users').map((r) => r.path)).toEqual(['/users']);
      expect(services.requests('users', '/health')).toHaveLength(1);
      const [placed] = services.requests('orders', '/orders');
      expect(placed).toMatchObject({ method: 'POST', headers: { 'x-user-id': 'u8' } });
      expect(placed!.body).toEqual({ items: [{ productId: 'p1', quantity: 1 }] });
    });

    it('merges the products replicas in arrival order, and records faulted requests too', async () => {
      services.setFault('products', { kind: 'status', status: 500 });
      for (const [index, url] of services.urls.products.entries())
        await call(`${url}/products?ids=p${index + 1}`);
      const records = services.requests('products');
      expect(records.map((r) => r.query.ids)).toEqual(['p1', 'p2', 'p3']);
      for (const server of services.products) expect(server.requests).toHaveLength(1);
      services.clearRecords();
      expect(services.requests('products')).toEqual([]);
    });
  });
});

describe('demo services lifecycle', () => {
  it('applies its options', async () => {
    const services = await startDemoServices({
      productsReplicas: 1,
      productsCacheControl: 'no-store',
      latencyMs: 60,
      maxRecordedRequests: 4,
    });
    try {
      expect(services.urls.products).toHaveLength(1);
      const started = performance.now();
      const answer = await call(`${services.urls.products[0]}/products?ids=p1`);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(performance.now() - started).toBeGreaterThanOrEqual(50);
      services.users.setLatencyMs(0);
      for (let n = 1; n <= 5; n++) await call(`${services.urls.users}/users/u${n}`);
      const kept = services.users.requests.map((request) => request.path);
      expect(kept.length).toBeLessThanOrEqual(4);
      expect(kept.at(-1)).toBe('/users/u5');
    } finally {
      await services.close();
    }
  });

  it('close() resolves with a hanging request in flight, and the ports stop answering', async () => {
    const services = await startDemoServices({ productsReplicas: 1 });
    services.setFault('orders', { kind: 'hang' });
    services.setFault('users', { kind: 'refuse' });
    const hanging = failureOf(() => fetch(`${services.urls.orders}/orders?userIds=u1`));
    await waitFor(() => services.requests('orders').length === 1);
    const started = performance.now();
    await services.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).not.toBe('');
    expect(await failureOf(() => fetch(`${services.urls.orders}/health`))).toBe('ECONNREFUSED');
    await services.close();
  });

  it.each<[string, object]>([
    ['productsReplicas', { productsReplicas: 0 }],
    ['ports.users', { ports: { users: 70_000 } }],
    ['ports.products', { productsReplicas: 1, ports: { products: [0, 0] } }],
    ['latencyMs', { latencyMs: -1 }],
  ])('rejects a bad %s option with a message naming it', async (name, options) => {
    await expect(startDemoServices(options)).rejects.toThrow(name);
  });
});

/** Writes raw bytes, half-closes after a moment, and returns the status line of whatever came back. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
      setTimeout(() => socket.end(), 50);
    });
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
  });
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition never became true');
}
