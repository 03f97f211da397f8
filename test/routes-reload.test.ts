// Routes across a reload: a new table serves the requests that follow; a download in flight
// finishes on the config it began with (its service's pool is not closed under it).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { rawRequest } from './helpers/http.js';

let upstream: Server;
let base: string;
let dir: string;
let gateway: Gateway;
let url: string;
let release: (() => void) | undefined;

const yaml = (routes: string) => `server: { host: 127.0.0.1, port: 0 }
upstreams:
  users: { urls: ["${base}"] }
  orders: { urls: ["${base}"] }
  notifications: { urls: ["${base}"] }
  products: { urls: ["${base}"] }
  files: { urls: ["${base}"] }
routes:
${routes}
`;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first,');
      release = () => res.end('last');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`at ${req.url}`);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'routes-reload-'));
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, yaml('  - { path: /old, upstream: files, rewrite: / }'));
  const { config } = loadConfig({ file, env: {} });
  gateway = await createGateway(config, { logger: createLogger('silent'), configSource: { file, env: {} } });
  url = await gateway.listen();
  await writeFile(file, yaml('  - { path: /new, upstream: files, rewrite: /n }'));
});

afterAll(async () => {
  await gateway?.close();
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

it('a reload swaps the routes for new requests; a download in flight ends on its own', async () => {
  const slow = fetch(`${url}/old/slow`);
  const response = await slow;
  expect(await gateway.reload()).toBe('applied');
  expect((await rawRequest(url, { path: '/old/x' })).status).toBe(404);
  const fresh = await rawRequest(url, { path: '/new/x' });
  expect(fresh.text).toBe('at /n/x');
  release!();
  expect(await response.text()).toBe('first,last');
});
