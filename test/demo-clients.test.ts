// The demo's own clients (schema/clients, the default clients.dir) against the demo services,
// inventory included: what `npm start` serves to web, mobile and partner.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { inventoryUpstreamYaml, type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let stack: Stack;
let config: TempConfig;

beforeAll(async () => {
  config = await writeTempConfig(`${inventoryUpstreamYaml({ retries: 0 })}`);
  stack = await startStack({ configFile: config.file, inventory: true });
});

afterAll(async () => {
  await stack?.close();
  await config?.remove();
});

beforeEach(() => stack.services.clearRecords());

const partner = { 'apollographql-client-name': 'partner' };
const mobile = { 'apollographql-client-name': 'mobile' };

describe('partner: the catalogue with stock from the inventory service', () => {
  const ids = Array.from({ length: 30 }, (_, i) => `p${i + 1}`);

  it("thirty products' stock costs one inventory call, each product its own record", async () => {
    const answer = await stack.graphql(
      'query ($ids: [ID!]!) { products(ids: $ids) { id stock { available warehouse updatedAt } } }',
      { variables: { ids }, headers: partner },
    );
    expect(answer.body.errors).toBeUndefined();
    const products = answer.body.data?.products as { id: string; stock: { available: number } | null }[];
    const stock = stack.services.data.stock;
    for (const product of products) {
      const record = stock.get(product.id);
      expect(product.stock).toEqual({
        available: record!.available,
        warehouse: record!.warehouse,
        updatedAt: record!.updatedAt,
      });
    }
    const calls = stack.services.requests('inventory');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/stock');
    expect(calls[0]!.query.productIds!.split(',').sort()).toEqual([...ids].sort());
  });

  it('the inventory outage costs only the stock fields, each with a coded error', async () => {
    stack.services.inventory.setFault({ kind: 'status', status: 503 });
    try {
      const answer = await stack.graphql('{ products(ids: ["p1", "p2"]) { id name stock { available } } }', {
        headers: partner,
      });
      expect(answer.status).toBe(200);
      const products = answer.body.data?.products as { name: string; stock: unknown }[];
      expect(products.map((p) => p.stock)).toEqual([null, null]);
      expect(products.every((p) => typeof p.name === 'string')).toBe(true);
      expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual([
        'UPSTREAM_ERROR',
        'UPSTREAM_ERROR',
      ]);
      expect(answer.body.errors?.every((e) => e.extensions?.service === 'inventory')).toBe(true);
    } finally {
      stack.services.inventory.setFault(null);
    }
  });

  it('web and mobile cannot ask for stock', async () => {
    for (const headers of [{}, mobile]) {
      const answer = await stack.graphql('{ products(ids: ["p1"]) { stock { available } } }', { headers });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(stack.services.requests('inventory')).toHaveLength(0);
  });
});

describe('mobile: the compact dashboard', () => {
  it('summary and unread come from one users and one notifications call', async () => {
    const answer = await stack.graphql(
      '{ dashboard { summary { name role } unread(limit: 2) { id read } } }',
      {
        token: await tokenFor('u2'),
        headers: mobile,
      },
    );
    expect(answer.body.errors).toBeUndefined();
    const dashboard = answer.body.data?.dashboard as { summary: unknown; unread: { read: boolean }[] };
    const user = stack.services.data.users.get('u2')!;
    expect(dashboard.summary).toEqual({ name: user.name, role: user.role });
    expect(dashboard.unread.length).toBeGreaterThan(0);
    expect(dashboard.unread.every((n) => !n.read)).toBe(true);
    expect(stack.services.requests('users')).toHaveLength(1);
    expect(stack.services.requests('notifications')).toHaveLength(1);
  });
});
