// DNS discovery: a service named by a host name that resolves to two local addresses
// (127.0.0.1 and 127.0.0.2, both loopback on Linux), each with a products server on the same
// port. The resolver is injected (the gateway option the CLI leaves at its DNS default), so the
// test controls the answer and its TTL.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import type { ResolveHost } from '../src/upstream/discovery.js';
import { gatewayEnv } from './helpers/stack.js';

let first: DemoServices;
let second: DemoServices;
let port: number;
let gateway: Gateway | undefined;
let answer: string[];
const asked: string[] = [];
const resolveHost: ResolveHost = async (hostname) => {
  asked.push(hostname);
  if (hostname !== 'products.switchboard.test') throw new Error(`unknown ${hostname}`);
  return { addresses: answer, ttlSeconds: 1 };
};

beforeAll(async () => {
  first = await startDemoServices({ productsReplicas: 1, productsCacheControl: 'no-store' });
  port = Number(new URL(first.urls.products[0]!).port);
  second = await startDemoServices({
    host: '127.0.0.2',
    productsReplicas: 1,
    ports: { products: [port] },
    productsCacheControl: 'no-store',
  });
});
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  second.setFault('products', null);
  first.clearRecords();
  second.clearRecords();
});

async function start(): Promise<string> {
  const { config } = loadConfig({
    env: { ...gatewayEnv(first), PRODUCTS_URL: `http://products.switchboard.test:${port}` },
  });
  gateway = await createGateway(config, { logger: createLogger('silent'), resolveHost });
  return gateway.listen();
}

const productsQuery = (url: string, id: number) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ products(ids: ["p${id}"]) { id } }` }),
  }).then((response) => response.json() as Promise<{ data?: unknown; errors?: unknown }>);

const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('a service host name resolving to two addresses', () => {
  it('is balanced over both, each request carrying the host name', async () => {
    answer = ['127.0.0.1', '127.0.0.2'];
    const url = await start();
    await until(() => asked.includes('products.switchboard.test'), 'the look-up');
    await new Promise((resolve) => setTimeout(resolve, 20)); // its answer applied
    for (let i = 1; i <= 20; i++)
      expect(await productsQuery(url, i)).toEqual({ data: { products: [{ id: `p${i}` }] } });
    const [a, b] = [first.requests('products'), second.requests('products')];
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.length + b.length).toBe(20);
    for (const request of [...a, ...b])
      expect(request.headers.host).toBe(`products.switchboard.test:${port}`);
  });

  it('ejects an address that fails, like a replica, and the other one serves every request', async () => {
    answer = ['127.0.0.1', '127.0.0.2'];
    const url = await start();
    await until(() => asked.includes('products.switchboard.test'), 'the look-up');
    await new Promise((resolve) => setTimeout(resolve, 20)); // its answer applied
    await productsQuery(url, 1);
    second.setFault('products', { kind: 'refuse' });
    const answers = [];
    for (let i = 1; i <= 20; i++) answers.push(await productsQuery(url, i));
    expect(answers.filter((a) => a.errors)).toEqual([]);
    first.clearRecords();
    for (let i = 1; i <= 10; i++) await productsQuery(url, i);
    expect(first.requests('products')).toHaveLength(10);
  });

  it('follows the answer as it expires: an address no longer listed gets no more calls', async () => {
    answer = ['127.0.0.1', '127.0.0.2'];
    const url = await start();
    await until(() => asked.includes('products.switchboard.test'), 'the look-up');
    await new Promise((resolve) => setTimeout(resolve, 20)); // its answer applied
    for (let i = 1; i <= 6; i++) await productsQuery(url, i);
    expect(second.requests('products').length).toBeGreaterThan(0);
    answer = ['127.0.0.1'];
    const lookups = asked.length;
    await until(() => asked.length > lookups, 'the next look-up (TTL 1 s)');
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.clearRecords();
    for (let i = 1; i <= 6; i++) await productsQuery(url, i);
    expect(second.requests('products')).toHaveLength(0);
  });
});
