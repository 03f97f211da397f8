// Limits shared through Redis: two gateway instances in front of the same services hold a tier
// quota and @rateLimit exactly under a concurrent burst split across both. Then a private
// redis-server is killed mid-test: fail-open serves promptly (limiting in memory, counting the
// failures), fail-closed answers 503, and both recover once Redis returns on the same port.
//
// The shared Redis (REDIS_URL, else 127.0.0.1:6379) is only ever written under names unique to
// this run (tier names, API keys, one random user's @rateLimit key), which are deleted at the end.
import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createRateLimitBackend } from '../src/ratelimit/index.js';
import { createRedisClient, firstConnection, withinDeadline } from '../src/stores/redis-client.js';
import { type GatewayInstance, startGateway, type TimedAnswer } from './helpers/gateway.js';
import { metricValue, scrapeMetrics, upstreamCalls } from './helpers/http.js';
import { awayFromWindowEdge } from './helpers/rate-windows.js';
import { freePort, type RedisChild, startRedisChild } from './helpers/redis-server.js';
import { tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const sharedRedisUrl = inject('redisUrl');
const run = randomUUID().slice(0, 8);
const query = '{ products(ids: ["p1"]) { id } }';
// Answered by the users service, whose answers carry no Cache-Control: no shared HTTP cache can
// stand in for the service, so the burst's upstream calls are exactly its admitted requests.
const adminQuery = '{ user(id: "u3") { id } }';
const placeOrder = 'mutation { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }] }) { id } }';
const failuresMetric = 'switchboard_ratelimit_store_failures_total';

const tiers = { burst: `burst-${run}`, roomy: `roomy-${run}`, small: `small-${run}` };
const keys = {
  burst: `burst-key-${run}-00000000`,
  roomy: `roomy-key-${run}-00000000`,
  small: `small-key-${run}-00000000`,
};

function configYaml(failOpen: boolean): string {
  return `auth:
  apiKeys:
    - { key: "${keys.burst}", client: web, tier: ${tiers.burst} }
    - { key: "${keys.roomy}", client: mobile, tier: ${tiers.roomy} }
    - { key: "${keys.small}", client: partner, tier: ${tiers.small} }
rateLimits:
  store: redis
  failOpen: ${failOpen}
  tiers:
    anonymous: { requests: 100000, windowSeconds: 60 }
    ${tiers.burst}: { requests: 10, windowSeconds: 60 }
    ${tiers.roomy}: { requests: 100000, windowSeconds: 60 }
    ${tiers.small}: { requests: 2, windowSeconds: 60 }
`;
}

let services: DemoServices;
const configs: TempConfig[] = [];
const gateways: GatewayInstance[] = [];
let admin: Redis;
/** The user whose @rateLimit key this run owns in the shared Redis. */
const user = `u${randomInt(100, 1001)}`;
const fieldKey = `switchboard:rl:f:Mutation.placeOrder:user:${user}`;

async function gatewayWith(redisUrl: string, failOpen: boolean): Promise<GatewayInstance> {
  const config = await writeTempConfig(configYaml(failOpen));
  configs.push(config);
  const gateway = await startGateway(services, { configFile: config.file, env: { REDIS_URL: redisUrl } });
  gateways.push(gateway);
  return gateway;
}

async function failures(gateway: GatewayInstance): Promise<number> {
  return metricValue(await scrapeMetrics(gateway.url), failuresMetric);
}

beforeAll(async () => {
  services = await startDemoServices();
  admin = new Redis(sharedRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await services?.close();
  await Promise.all(configs.map((config) => config.remove()));
  if (admin) {
    // Only this run's keys: its tiers' quota counters, its user's @rateLimit log and that
    // user's anonymous-tier counter (a token without an API key counts per user).
    const mine: string[] = [fieldKey];
    const patterns = [...Object.values(tiers).map((tier) => `${tier}:*`), `anonymous:user:${user}:*`];
    for (const pattern of patterns) {
      const stream = admin.scanStream({ match: `switchboard:rl:q:${pattern}`, count: 1000 });
      for await (const batch of stream) mine.push(...(batch as string[]));
    }
    await admin.del(...mine);
    admin.disconnect();
  }
});

describe('start-up', () => {
  /** The backend a gateway would build from this run's config, without the gateway around it. */
  async function backendFor(redisUrl: string, failOpen: boolean) {
    const config = await writeTempConfig(configYaml(failOpen));
    configs.push(config);
    const env = {
      REDIS_URL: redisUrl,
      USERS_URL: services.urls.users,
      ORDERS_URL: services.urls.orders,
      NOTIFICATIONS_URL: services.urls.notifications,
      PRODUCTS_URL: services.urls.products.join(','),
    };
    const metrics = createMetrics();
    const loaded = loadConfig({ file: config.file, env }).config;
    return { backend: createRateLimitBackend(loaded, createLogger('silent'), metrics), metrics };
  }

  it('a decision asked the moment the client is created waits for the connection, not fails over', async () => {
    const { backend, metrics } = await backendFor(sharedRedisUrl, false);
    try {
      const decision = await backend.quota(`${tiers.roomy}:start-up`, 5, 60_000, 0);
      expect(decision).toMatchObject({ allowed: true, count: 1 });
      expect(await metrics.rateLimitStoreFailures.get()).toMatchObject({ values: [{ value: 0 }] });
    } finally {
      await backend.close();
    }
  });

  it('Redis unreachable at start-up: the first decision fails promptly (fail-closed: SERVICE_UNAVAILABLE)', async () => {
    const { backend } = await backendFor(`redis://127.0.0.1:${await freePort()}`, false);
    try {
      const started = performance.now();
      await expect(backend.quota(`${tiers.roomy}:unreachable`, 5, 60_000, 0)).rejects.toMatchObject({
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await backend.close();
    }
  });
});

describe('withinDeadline: a stalled process does not blame Redis', () => {
  /** Blocks the event loop, as a long GC pause or a starved CPU would. */
  const stall = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {}
  };

  it('an answer that arrived during a 400 ms stall wins over a 250 ms deadline; ioredis’s own timeout would not', async () => {
    const patient = createRedisClient(sharedRedisUrl, createLogger('silent'), 2_000);
    const strict = createRedisClient(sharedRedisUrl, createLogger('silent'), 250);
    try {
      await Promise.all([firstConnection(patient), firstConnection(strict)]);
      await Promise.all([patient.ping(), strict.ping()]);
      const guarded = withinDeadline(patient.ping(), 250, 'a ping');
      const plain = strict.ping().then(
        () => 'answered',
        (error: Error) => error.message,
      );
      stall(400);
      await expect(guarded).resolves.toBe('PONG');
      expect(await plain).toMatch(/timed out/i);
    } finally {
      patient.disconnect();
      strict.disconnect();
    }
  });

  it('still rejects, promptly, when no answer comes', async () => {
    const started = performance.now();
    await expect(withinDeadline(new Promise(() => {}), 100, 'nothing')).rejects.toThrow(
      'nothing took more than 100 ms',
    );
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('two instances sharing Redis', () => {
  let a: GatewayInstance;
  let b: GatewayInstance;
  beforeAll(async () => {
    a = await gatewayWith(sharedRedisUrl, true);
    b = await gatewayWith(sharedRedisUrl, true);
    await admin.del(fieldKey);
  });
  beforeEach(() => services.clearRecords());

  it('a tier of 10: a concurrent burst of 40 split across both lets exactly 10 through', async () => {
    await awayFromWindowEdge(60_000);
    const headers = { 'x-api-key': keys.burst };
    // An API key with a token: the key's tier and bucket apply, whoever the user is.
    const token = await tokenFor('u1', 'ADMIN');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).graphql(adminQuery, { headers, token })),
    );
    const passed = answers.filter((answer) => answer.status === 200);
    for (const answer of passed) expect(answer.body).toEqual({ data: { user: { id: 'u3' } } });
    const refused = answers.filter((answer) => answer.status === 429);
    expect(passed).toHaveLength(10);
    expect(refused).toHaveLength(30);
    for (const answer of refused) {
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(answer.headers.get('retry-after')).toBe(
        String(answer.body.errors?.[0]?.extensions?.retryAfterSeconds),
      );
    }
    // One shared counter: the ten answers saw ten different counts, 9 left down to 0 left.
    const remaining = passed.map((answer) => Number(answer.headers.get('x-ratelimit-remaining')));
    expect(remaining.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Only the ten reached a service.
    expect(upstreamCalls(services)).toBe(10);
    // Every decision was Redis's: no fallback to memory on either instance.
    expect(await failures(a)).toBe(0);
    expect(await failures(b)).toBe(0);
  });

  it('@rateLimit (placeOrder, 10 per minute): 12 concurrent calls across both place exactly 10 orders', async () => {
    const token = await tokenFor(user);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).graphql(placeOrder, { token })),
    );
    const placed = answers.filter((answer) => answer.body.errors === undefined);
    const limited = answers.filter((answer) => answer.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(placed).toHaveLength(10);
    expect(limited).toHaveLength(2);
    for (const answer of limited) {
      expect(answer.body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    expect(services.requests('orders', '/orders').filter((r) => r.method === 'POST')).toHaveLength(10);
    // The log lives in Redis, shared: ten calls in the window.
    expect(await admin.zcard(fieldKey)).toBe(10);
    expect(await failures(a)).toBe(0);
    expect(await failures(b)).toBe(0);
  });
});

describe('Redis stopped in the middle (a private redis-server)', () => {
  let redis: RedisChild;
  let open: GatewayInstance;
  let closed: GatewayInstance;
  beforeAll(async () => {
    redis = await startRedisChild();
    open = await gatewayWith(redis.url, true);
    closed = await gatewayWith(redis.url, false);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const roomy = { headers: { 'x-api-key': keys.roomy } };

  /** Asks until `accept` holds, at most `ms`; returns the last answer. */
  async function pollUntil(
    ask: () => Promise<TimedAnswer>,
    accept: (answer: TimedAnswer) => Promise<boolean> | boolean,
    ms: number,
  ): Promise<TimedAnswer> {
    const deadline = performance.now() + ms;
    for (;;) {
      const answer = await ask();
      if (await accept(answer)) return answer;
      if (performance.now() > deadline) return answer;
      await sleep(100);
    }
  }

  it('with Redis up, both instances count in Redis', async () => {
    for (const gateway of [open, closed]) {
      const answer = await gateway.graphql(query, roomy);
      expect(answer.status).toBe(200);
      expect(await failures(gateway)).toBe(0);
    }
  });

  it('Redis frozen (answers nothing, connections open): decisions give up after their deadline', async () => {
    redis.pause();
    try {
      const before = await failures(open);
      for (let i = 0; i < 3; i++) {
        const served = await open.graphql(query, roomy);
        expect(served.status).toBe(200);
        expect(served.ms).toBeLessThan(1000);
        const refused = await closed.graphql(query, roomy);
        expect(refused.status).toBe(503);
        expect(refused.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
        expect(refused.ms).toBeLessThan(1000);
      }
      expect(await failures(open)).toBe(before + 3);
    } finally {
      redis.resume();
    }
    // Thawed, the same connections answer again.
    const back = await pollUntil(
      () => closed.graphql(query, roomy),
      (answer) => answer.status === 200,
      5_000,
    );
    expect(back.status).toBe(200);
  });

  it('Redis killed: failOpen serves promptly, counts failures, limits in memory; fail-closed answers 503', async () => {
    await redis.kill();
    const before = await failures(open);
    for (let i = 0; i < 5; i++) {
      const answer = await open.graphql(query, roomy);
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ products: [{ id: 'p1' }] });
      expect(answer.ms).toBeLessThan(1000);
    }
    expect(await failures(open)).toBe(before + 5);

    // The fallback still limits, per instance: tier small allows 2.
    await awayFromWindowEdge(60_000);
    const small = { headers: { 'x-api-key': keys.small } };
    expect((await open.graphql(query, small)).status).toBe(200);
    expect((await open.graphql(query, small)).status).toBe(200);
    const limited = await open.graphql(query, small);
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    for (let i = 0; i < 3; i++) {
      const refused = await closed.graphql(query, roomy);
      expect(refused.status).toBe(503);
      expect(refused.body.errors).toEqual([
        {
          message: expect.stringMatching(/Rate limiting is unavailable/),
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ]);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(refused.ms).toBeLessThan(1000);
    }
    expect(await failures(closed)).toBeGreaterThanOrEqual(3);
  });

  it('Redis back on the same port: both recover by themselves', async () => {
    await redis.restart();
    const recovered = await pollUntil(
      () => closed.graphql(query, roomy),
      (answer) => answer.status === 200,
      10_000,
    );
    expect(recovered.status).toBe(200);
    // Fail-open is back on Redis once a decision no longer counts as a failure.
    let last = await failures(open);
    const back = await pollUntil(
      () => open.graphql(query, roomy),
      async () => {
        const now = await failures(open);
        const unchanged = now === last;
        last = now;
        return unchanged;
      },
      10_000,
    );
    expect(back.status).toBe(200);
    expect(await failures(open)).toBe(last);
    // And counting in Redis again: the restarted (empty) Redis holds this run's counters.
    const counters: string[] = [];
    const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await probe.connect();
    try {
      counters.push(...(await probe.keys(`switchboard:rl:q:${tiers.roomy}:*`)));
    } finally {
      probe.disconnect();
    }
    expect(counters.length).toBeGreaterThan(0);
  });
});
