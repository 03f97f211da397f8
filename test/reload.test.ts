// Reload without a restart, as an operator does it: edit the file, send SIGHUP (or let
// server.watchConfig notice). Real gateways, real demo services, real files.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { type CliProcess, repoRoot, spawnCli } from './helpers/cli.js';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { testSecret, tokenFor } from './helpers/stack.js';

let a: DemoServices;
let b: DemoServices;
let dir: string;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startDemoServices(), startDemoServices()]);
  dir = await mkdtemp(join(tmpdir(), 'switchboard-reload-'));
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  logs.length = 0;
  a.clearRecords();
  b.clearRecords();
  a.setFault('users', null);
  a.users.setLatencyMs(0);
});

/** A config file naming every service's URLs itself (the environment would override them). */
function yaml(
  options: { users?: DemoServices; tierRequests?: number; apiKey?: string; extra?: string } = {},
): string {
  const users = options.users ?? a;
  return [
    'server: { host: 127.0.0.1, port: 0 }',
    'upstreams:',
    `  users: { urls: ["${users.urls.users}"], breaker: { volumeThreshold: 2, errorThresholdPercent: 50, resetTimeoutMs: 60000 }, retries: 0 }`,
    `  orders: { urls: ["${a.urls.orders}"] }`,
    `  notifications: { urls: ["${a.urls.notifications}"] }`,
    `  products: { urls: ${JSON.stringify(a.urls.products)} }`,
    'auth:',
    `  jwt: { secret: "${testSecret}" }`,
    `  apiKeys: [{ key: "${options.apiKey ?? 'first-key-0123456789'}", client: web, tier: web }]`,
    'rateLimits:',
    '  tiers:',
    `    web: { requests: ${options.tierRequests ?? 1000}, windowSeconds: 60 }`,
    options.extra ?? '',
    '',
  ].join('\n');
}

async function gatewayFrom(file: string): Promise<{ gateway: Gateway; url: string }> {
  const { config } = loadConfig({ file, env: {} });
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const gateway = await createGateway(config, { logger, configSource: { file, env: {} } });
  return { gateway, url: await gateway.listen() };
}

const post = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });

describe('gateway.reload() (what SIGHUP does)', () => {
  let file: string;
  let gateway: Gateway | undefined;
  beforeAll(() => {
    file = join(dir, 'gateway.yaml');
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('applies a new tier, API key and service URL to the requests that follow', async () => {
    await writeFile(file, yaml({ tierRequests: 1000 }));
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    const admin = { authorization: `Bearer ${await tokenFor('u1', 'ADMIN')}` };
    expect(
      (
        await post(started.url, '{ products(ids: ["p1"]) { id } }', { 'x-api-key': 'first-key-0123456789' })
      ).headers.get('x-ratelimit-limit'),
    ).toBe('1000');
    await post(started.url, '{ user(id: "u2") { id } }', admin);
    expect(a.requests('users')).toHaveLength(1);

    await writeFile(file, yaml({ tierRequests: 7, apiKey: 'second-key-0123456789', users: b }));
    expect(await gateway.reload()).toBe('applied');

    const withOld = await post(started.url, '{ products(ids: ["p1"]) { id } }', {
      'x-api-key': 'first-key-0123456789',
    });
    expect(withOld.status).toBe(401);
    const withNew = await post(started.url, '{ products(ids: ["p1"]) { id } }', {
      'x-api-key': 'second-key-0123456789',
    });
    expect(withNew.status).toBe(200);
    expect(withNew.headers.get('x-ratelimit-limit')).toBe('7');
    await post(started.url, '{ user(id: "u2") { id } }', admin);
    expect(a.requests('users')).toHaveLength(1);
    expect(b.requests('users')).toHaveLength(1);
    expect(
      metricValue(await scrapeMetrics(started.url), 'switchboard_config_reloads_total', {
        outcome: 'applied',
      }),
    ).toBe(1);
  });

  it('refuses an invalid config, naming the key, and the old one keeps serving', async () => {
    await writeFile(file, yaml());
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    await writeFile(file, `${yaml()}limits: { maxDepht: 3 }\n`);
    expect(await gateway.reload()).toBe('rejected');
    const refusal = logs.find((line) => line.msg === 'configuration reload rejected; the old one stays');
    expect(JSON.stringify(refusal)).toMatch(/limits\.maxDepht/);
    const answer = await post(started.url, '{ products(ids: ["p1"]) { id } }');
    expect(answer.status).toBe(200);
    expect(
      metricValue(await scrapeMetrics(started.url), 'switchboard_config_reloads_total', {
        outcome: 'rejected',
      }),
    ).toBe(1);
  });

  it('refuses a broken client schema with its file and line', async () => {
    const clients = join(dir, 'clients');
    await mkdir(join(clients, 'mobile'), { recursive: true });
    await cp(join(repoRoot, 'schema/clients/mobile'), join(clients, 'mobile'), { recursive: true });
    await writeFile(file, yaml({ extra: `clients: { dir: "${clients}" }` }));
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    await writeFile(join(clients, 'mobile', 'extra.graphql'), 'extend type Query {\n  hello: Strin\n}\n');
    expect(await gateway.reload()).toBe('rejected');
    const refusal = logs.find((line) => line.msg === 'configuration reload rejected; the old one stays');
    expect(JSON.stringify(refusal)).toMatch(/extra\.graphql:2/);
    await rm(clients, { recursive: true, force: true });
  });

  it('keeps the breaker of an unchanged service open across a reload', async () => {
    await writeFile(file, yaml());
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    const admin = { authorization: `Bearer ${await tokenFor('u1', 'ADMIN')}` };
    a.setFault('users', { kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) await post(started.url, `{ user(id: "u${i + 2}") { id } }`, admin);
    const state = async () =>
      metricValue(await scrapeMetrics(started.url), 'switchboard_upstream_breaker_state', {
        service: 'users',
      });
    expect(await state()).toBe(2);
    await writeFile(file, yaml({ tierRequests: 999 }));
    expect(await gateway.reload()).toBe('applied');
    a.setFault('users', null);
    a.clearRecords();
    const answer = (await (await post(started.url, '{ user(id: "u9") { id } }', admin)).json()) as {
      errors: { extensions: { code: string } }[];
    };
    expect(answer.errors[0]?.extensions.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(a.requests('users')).toHaveLength(0);
    expect(await state()).toBe(2);
  });

  it('lets a request in flight finish on the old service URL, then closes that pool', async () => {
    await writeFile(file, yaml());
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    const admin = { authorization: `Bearer ${await tokenFor('u1', 'ADMIN')}` };
    a.users.setLatencyMs(600);
    const inFlight = post(started.url, '{ user(id: "u3") { id } }', admin);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await writeFile(file, yaml({ users: b }));
    expect(await gateway.reload()).toBe('applied');
    const after = await post(started.url, '{ user(id: "u4") { id } }', admin);
    expect(await after.json()).toEqual({ data: { user: { id: 'u4' } } });
    expect(await (await inFlight).json()).toEqual({ data: { user: { id: 'u3' } } });
    expect(a.requests('users').map((r) => r.query.ids)).toEqual(['u3']);
    expect(b.requests('users').map((r) => r.query.ids)).toEqual(['u4']);
  });

  it('reports keys that need a restart, and applies the rest', async () => {
    await writeFile(file, yaml());
    const started = await gatewayFrom(file);
    gateway = started.gateway;
    await writeFile(file, yaml({ tierRequests: 5 }).replace('port: 0', 'port: 1'));
    expect(await gateway.reload()).toBe('applied');
    const warning = logs.find(
      (line) => line.msg === 'configuration reloaded, but these keys keep their old value until a restart',
    );
    expect(warning?.keys).toEqual(['server.port']);
    const answer = await post(started.url, '{ products(ids: ["p1"]) { id } }', {
      'x-api-key': 'first-key-0123456789',
    });
    expect(answer.headers.get('x-ratelimit-limit')).toBe('5');
  });
});

describe('the CLI', () => {
  let cli: CliProcess | undefined;
  afterEach(async () => {
    await cli?.kill();
    cli = undefined;
  });

  async function start(file: string): Promise<string> {
    cli = spawnCli(['--config', file], {});
    const ready = await cli.logLine('switchboard is ready');
    return new URL(ready.url as string).origin;
  }

  it('reloads on SIGHUP under load: 5 reloads, 0 failed requests', async () => {
    const file = join(dir, 'load.yaml');
    await writeFile(file, yaml({ tierRequests: 100000 }));
    const url = await start(file);
    let stop = false;
    const statuses: number[] = [];
    const worker = async () => {
      while (!stop) {
        const response = await post(url, '{ products(ids: ["p1", "p2"]) { id name } }', {
          'x-api-key': 'first-key-0123456789',
        });
        const body = (await response.json()) as { errors?: unknown };
        statuses.push(body.errors ? -response.status : response.status);
      }
    };
    const load = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await writeFile(file, yaml({ tierRequests: 100000 - i }));
      cli!.child.kill('SIGHUP');
      await cli!.logLine('configuration reloaded');
      // logLine finds the first line: wait for the i-th one.
      await waitFor(() => countLines(cli!, 'configuration reloaded') >= i + 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    stop = true;
    await Promise.all(load);
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect(countLines(cli!, 'configuration reloaded')).toBe(5);
  }, 60_000);

  it('reloads when the file changes, with server.watchConfig: true', async () => {
    const file = join(dir, 'watched.yaml');
    await writeFile(
      file,
      yaml({ extra: 'server: { host: 127.0.0.1, port: 0, watchConfig: true }' }).replace(
        'server: { host: 127.0.0.1, port: 0 }\n',
        '',
      ),
    );
    const url = await start(file);
    await writeFile(
      file,
      yaml({ tierRequests: 3, extra: 'server: { host: 127.0.0.1, port: 0, watchConfig: true }' }).replace(
        'server: { host: 127.0.0.1, port: 0 }\n',
        '',
      ),
    );
    const line = await cli!.logLine('configuration reloaded');
    expect(line.reason).toBe('file changed');
    const answer = await post(url, '{ products(ids: ["p1"]) { id } }', {
      'x-api-key': 'first-key-0123456789',
    });
    expect(answer.headers.get('x-ratelimit-limit')).toBe('3');
  }, 30_000);
});

function countLines(cli: CliProcess, msg: string): number {
  return cli.stdout.split('\n').filter((line) => line.includes(`"msg":"${msg}"`)).length;
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
