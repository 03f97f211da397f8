// R for the route bench (route-proxy.ts): the least a Node proxy can do for
// `GET /api/products?ids=…`: node:http in, the prefix rewritten, the query kept, round-robin over
// the products replicas' undici Pools, the gateway's request headers out, the status and
// end-to-end headers back, the body piped both ways. No auth, limits, breaker or metrics.
//
// Environment: BENCH_UPSTREAMS = JSON {products: [..]}. Prints `READY {"url":…}` once listening.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { announceReady, exitWithParent } from './dashboard.js';

exitWithParent();

const upstreams = JSON.parse(process.env.BENCH_UPSTREAMS ?? '') as { products: string[] };
// The gateway's defaults: 64 keep-alive connections per URL, idle sockets closed after 4 s.
const pools = upstreams.products.map((url) => new Pool(url, { connections: 64, keepAliveTimeout: 4_000 }));
let cursor = 0;
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

const server = createServer(async (request, response) => {
  const target = request.url ?? '/';
  if (!target.startsWith('/api/products')) {
    response.writeHead(404).end();
    return;
  }
  const requestId = randomUUID();
  try {
    const pool = pools[cursor++ % pools.length]!;
    const answer = await pool.request({
      method: 'GET',
      path: `/products${target.slice('/api/products'.length)}`,
      headers: { 'x-request-id': requestId, 'x-client-name': 'anonymous' },
    });
    const headers: Record<string, string | string[]> = { 'x-request-id': requestId };
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
    }
    response.writeHead(answer.statusCode, headers);
    await pipeline(answer.body, response);
  } catch {
    if (!response.headersSent) response.writeHead(502).end();
    else response.destroy();
  }
});

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
announceReady({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` });
