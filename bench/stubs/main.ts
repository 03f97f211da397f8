// The bench's upstream services in a process of their own: users, orders, notifications and the
// products replicas of the contract, answering from data prepared before they listen
// (prepared-data.ts) over a minimal HTTP/1.1 server (wire-server.ts), plus a control endpoint
// that counts upstream calls. They exist so that the bench measures the server under test, not
// the demo services (which build and serialise records per request); the bench reports their CPU
// per dashboard next to every target's.
//
// Environment: BENCH_USERS (users with data: u1…u<BENCH_USERS>, default 1000), BENCH_LATENCY_MS
// (default 0), BENCH_PRODUCTS_CACHE_CONTROL (default the contract's 'public, max-age=60'),
// BENCH_PRODUCTS_REPLICAS (default 3). Prints `READY {"urls":…,"control":…}` once listening.
//
// GET <control>/counters answers {"users":n,"orders":n,"notifications":n,"products":n,"total":n}:
// requests received since start, /health excluded.
import { createServer as createHttpServer } from 'node:http';
import type { Server } from 'node:net';
import { announceReady, exitWithParent } from '../dashboard.js';
import { contractHandler, type StubService } from './contract-routes.js';
import { prepareData } from './prepared-data.js';
import { startRecommendationsStub } from './recommendations.js';
import { createWireServer } from './wire-server.js';

exitWithParent();

const positive = (name: string, fallback: number, min: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}`);
  return value;
};
const userCount = positive('BENCH_USERS', 1000, 1);
const latencyMs = positive('BENCH_LATENCY_MS', 0, 0);
const replicas = positive('BENCH_PRODUCTS_REPLICAS', 3, 1);
const productsCacheControl = process.env.BENCH_PRODUCTS_CACHE_CONTROL ?? 'public, max-age=60';

const started = performance.now();
const data = prepareData(userCount);
const prepareMs = Math.round(performance.now() - started);

const counts: Record<StubService, number> = { users: 0, orders: 0, notifications: 0, products: 0 };
const routeOptions = {
  productsCacheControl,
  onCall: (service: StubService) => {
    counts[service]++;
  },
};

const listen = (server: Server) =>
  new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
const stub = (service: StubService) =>
  createWireServer({ handler: contractHandler(service, data, routeOptions), latencyMs });

const users = stub('users');
const orders = stub('orders');
const notifications = stub('notifications');
const products = Array.from({ length: replicas }, () => stub('products'));
const servers: Server[] = [users, orders, notifications, ...products];

const control = createHttpServer((request, response) => {
  if (request.url !== '/counters') {
    response.writeHead(404).end();
    return;
  }
  const total = counts.users + counts.orders + counts.notifications + counts.products;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ ...counts, total }));
});

const recommendations = await startRecommendationsStub();
const urls = {
  users: await listen(users),
  orders: await listen(orders),
  notifications: await listen(notifications),
  products: await Promise.all(products.map(listen)),
  recommendations: recommendations.address,
};
const controlUrl = await listen(control);

const stop = () => {
  recommendations.close();
  for (const server of [...servers, control]) server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

announceReady({
  urls,
  control: controlUrl,
  latencyMs,
  prepareMs,
  heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
});
