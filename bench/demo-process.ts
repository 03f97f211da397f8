// `--upstreams demo`: the demo services (src/demo) in a process of their own instead of the
// bench's stubs, plus a control endpoint that counts upstream calls. They build and serialise
// records per request, so they cost about as much CPU per dashboard as R itself: useful to compare
// with the stubs, not to measure the gateway. They know users u1…u1000 only. Environment: BENCH_LATENCY_MS (default 0), BENCH_PRODUCTS_CACHE_CONTROL (default the contract's
// 'public, max-age=60'). Prints `READY {"urls":…,"control":…}` once listening.
//
// GET <control>/counters answers {"users":n,"orders":n,"notifications":n,"products":n,"inventory":n,
// "total":n}: requests received since start, /health excluded; total counts the contract's four.
import { createServer } from 'node:http';
import { type DemoServerName, startDemoServices } from '../src/demo/services.js';
import { announceReady, exitWithParent } from './dashboard.js';

exitWithParent();

const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 0);
const services = await startDemoServices({
  latencyMs,
  productsCacheControl: process.env.BENCH_PRODUCTS_CACHE_CONTROL ?? 'public, max-age=60',
  // Drained every 250 ms below, so this is only a ceiling between drains.
  maxRecordedRequests: 1_000_000,
});

const counts: Record<DemoServerName, number> = {
  users: 0,
  orders: 0,
  notifications: 0,
  products: 0,
  inventory: 0,
};

// The demo servers record every request; counting and emptying those records often keeps the
// count exact (they would drop their oldest half at the ceiling) and the memory flat.
function drain(): void {
  for (const server of services.servers()) {
    let n = 0;
    for (const request of server.requests) if (request.path !== '/health') n++;
    counts[server.service] += n;
    server.requests.length = 0;
  }
}
setInterval(drain, 250).unref();

const control = createServer((request, response) => {
  if (request.url !== '/counters') {
    response.writeHead(404).end();
    return;
  }
  drain();
  const total = counts.users + counts.orders + counts.notifications + counts.products;
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ ...counts, total }));
});
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const address = control.address();
const port = typeof address === 'object' && address ? address.port : 0;

const stop = async () => {
  control.close();
  await services.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

announceReady({ urls: services.urls, control: `http://127.0.0.1:${port}`, latencyMs });
