// The demo inventory service (src/demo/inventory.openapi.yaml) against real servers on port 0:
// the routes client schemas call through @rest, their misuse, and the seeded stock behind them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoStock } from '../src/demo/data.js';
import { createDemoData, DEMO_PRODUCT_COUNT } from '../src/demo/data.js';
import type { DemoServices } from '../src/demo/services.js';
import { startDemoServices } from '../src/demo/services.js';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const WAREHOUSES = ['AMS-1', 'AMS-2', 'FRA-1', 'DUB-1', 'WAW-1'];

interface Answer<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function call<T = unknown>(url: string, init?: RequestInit): Promise<Answer<T>> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

const ids = (count: number) => Array.from({ length: count }, (_, i) => `p${i + 1}`);

describe('demo stock', () => {
  const stock = createDemoData().stock;

  it('has a record for each of p1…p500, some sold out, each well formed', () => {
    expect([...stock.keys()]).toEqual(ids(DEMO_PRODUCT_COUNT));
    const records = [...stock.values()];
    const malformed = records.filter(
      (s) =>
        s !== stock.get(s.productId) ||
        !Number.isInteger(s.available) ||
        s.available < 0 ||
        !WAREHOUSES.includes(s.warehouse) ||
        !RFC3339_UTC.test(s.updatedAt) ||
        !s.updatedAt.startsWith('2026-'),
    );
    expect(malformed).toEqual([]);
    const soldOut = records.filter((s) => s.available === 0).length;
    // Enough of both that any page of a catalogue shows each.
    expect(soldOut).toBeGreaterThan(25);
    expect(soldOut).toBeLessThan(150);
  });

  it('is the same for the same seed and different for another', () => {
    expect([...createDemoData().stock]).toEqual([...stock]);
    expect([...createDemoData(7).stock]).not.toEqual([...stock]);
  });

  it('comes from its own random stream: the other services’ data is what it was before stock existed', () => {
    // Pinned from the data set as built before the inventory service was added.
    const data = createDemoData();
    expect(data.users.get('u1000')).toEqual({
      id: 'u1000',
      name: 'Quinn Dubois',
      email: 'quinn.dubois1000@example.net',
      role: 'USER',
      createdAt: '2025-05-09T12:07:03Z',
    });
    expect(data.products.get('p500')).toEqual({
      id: 'p500',
      name: 'Ergonomic Walnut Sweater',
      price: { amount: 599, currency: 'USD' },
      inStock: true,
    });
    expect([data.orders.size, data.notifications.size]).toEqual([9957, 13204]);
  });
});

describe('demo inventory service', () => {
  let services: DemoServices;
  let inventory: string;
  beforeAll(async () => {
    services = await startDemoServices();
    inventory = services.urls.inventory;
  });
  afterAll(() => services.close());
  afterEach(() => {
    services.inventory.setFault(null);
    services.clearRecords();
  });

  it('is one server of its own, listed with the others', () => {
    expect(inventory).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(services.inventory.url).toBe(inventory);
    expect(services.servers('inventory')).toEqual([services.inventory]);
    expect(services.servers()).toContain(services.inventory);
    const others = [services.urls.users, services.urls.orders, services.urls.notifications];
    expect([...others, ...services.urls.products]).not.toContain(inventory);
  });

  it('answers /health', async () => {
    const answer = await call(`${inventory}/health`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('looks stock up in one batch under `items`, unknown and repeated ids left out', async () => {
    const answer = await call<{ items: DemoStock[] }>(`${inventory}/stock?productIds=p1,p2,p2,nope,p500`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    // Stock moves: nothing may reuse it.
    expect(answer.headers.get('cache-control')).toBeNull();
    expect(Object.keys(answer.body)).toEqual(['items']);
    const byId = (a: DemoStock, b: DemoStock) => a.productId.localeCompare(b.productId);
    expect([...answer.body.items].sort(byId)).toEqual(
      ['p1', 'p2', 'p500'].map((id) => services.data.stock.get(id)).sort((a, b) => byId(a!, b!)),
    );
    const [request] = services.requests('inventory');
    expect(request?.path).toBe('/stock');
    expect(request?.query).toEqual({ productIds: 'p1,p2,p2,nope,p500' });
  });

  it('answers an empty `items` when no id is known', async () => {
    const answer = await call(`${inventory}/stock?productIds=nope,p501`);
    expect(answer).toMatchObject({ status: 200, body: { items: [] } });
  });

  it('accepts exactly 100 ids (URL-encoded commas too) and refuses 101', async () => {
    const hundred = await call<{ items: DemoStock[] }>(
      `${inventory}/stock?productIds=${ids(100).join('%2C')}`,
    );
    expect(hundred.status).toBe(200);
    expect(hundred.body.items).toHaveLength(100);
    const tooMany = await call(`${inventory}/stock?productIds=${ids(101).join(',')}`);
    expect(tooMany).toMatchObject({ status: 400, body: { error: expect.stringMatching(/at most 100/) } });
  });

  it('answers 400 with an error body without productIds, or with none listed', async () => {
    for (const query of ['', '?productIds=', '?productIds=,,', '?ids=p1']) {
      const answer = await call<{ error: string }>(`${inventory}/stock${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error, query).toMatch(/productIds/);
    }
  });

  it('answers one product’s stock, or 404 with an error body', async () => {
    const one = await call(`${inventory}/stock/p42`);
    expect(one).toMatchObject({ status: 200, body: services.data.stock.get('p42') });
    for (const id of ['p501', 'nope', 'u1']) {
      const missing = await call(`${inventory}/stock/${id}`);
      expect(missing).toMatchObject({ status: 404, body: { error: expect.stringContaining(id) } });
    }
  });

  it('answers 404 for an unknown path and 405 for a write', async () => {
    expect((await call(`${inventory}/products?ids=p1`)).status).toBe(404);
    const write = await fetch(`${inventory}/stock?productIds=p1`, { method: 'POST', body: '{}' });
    await write.arrayBuffer();
    expect(write.status).toBe(405);
    expect(write.headers.get('allow')).toBe('GET');
  });

  it('takes faults like every demo server, without touching the others', async () => {
    services.setFault('inventory', { kind: 'status', status: 503 });
    expect((await call(`${inventory}/stock/p1`)).status).toBe(503);
    expect((await call(`${services.urls.products[0]}/products?ids=p1`)).status).toBe(200);
  });
});

describe('demo inventory service options', () => {
  it('gives the same answers for the same seed, other ones for another seed', async () => {
    const [a, b, c] = await Promise.all([
      startDemoServices({ seed: 7 }),
      startDemoServices({ seed: 7 }),
      startDemoServices({ seed: 8 }),
    ]);
    try {
      const path = `/stock?productIds=${ids(20).join(',')}`;
      const stockOf = (services: DemoServices) => call(`${services.urls.inventory}${path}`);
      const [first, second, other] = await Promise.all([stockOf(a), stockOf(b), stockOf(c)]);
      expect(second.body).toEqual(first.body);
      expect(other.body).not.toEqual(first.body);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('never sends the user-data cache-control: stock is nobody’s private data and moves', async () => {
    const services = await startDemoServices({ userDataCacheControl: 'private, max-age=30' });
    try {
      const stock = await fetch(`${services.urls.inventory}/stock/p1`);
      await stock.arrayBuffer();
      expect(stock.headers.get('cache-control')).toBeNull();
      const user = await fetch(`${services.urls.users}/users/u1`);
      await user.arrayBuffer();
      expect(user.headers.get('cache-control')).toBe('private, max-age=30');
    } finally {
      await services.close();
    }
  });

  it('rejects a bad inventory port with a TypeError naming it', async () => {
    await expect(startDemoServices({ ports: { inventory: 70_000 } })).rejects.toThrow(
      /ports\.inventory must be an integer from 0 to 65535/,
    );
  });
});
