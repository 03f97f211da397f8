// Tier quotas and @rateLimit with the in-memory store: exact counts, 429s that say when to come
// back in every form (body, Retry-After, IETF RateLimit headers, X-RateLimit-*), one bucket per
// API key, user or client IP, and an X-Forwarded-For that counts only from a trusted proxy.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GraphQLContext } from '../src/context/graphql-context.js';
import { durationMs, rateLimitDirectiveTransformer } from '../src/directives/rate-limit-directive.js';
import { createMemoryBackend } from '../src/ratelimit/memory-backend.js';
import { metricValue, scrapeMetrics, upstreamCalls } from './helpers/http.js';
import { awayFromWindowEdge, dayMs, secondsLeftInWindow } from './helpers/rate-windows.js';
import { type GraphQLAnswer, type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

// Every request asks for a product no earlier request asked for: an upstream HTTP cache can then
// never answer for the service, and upstream call counts stay exact.
let lastProduct = 0;
function query(): string {
  lastProduct = (lastProduct % 500) + 1;
  return `{ products(ids: ["p${lastProduct}"]) { id } }`;
}
const keys = {
  tinyA: 'tiny-key-aaaaaaaaaaaaaaaa',
  tinyB: 'tiny-key-bbbbbbbbbbbbbbbb',
  daily: 'daily-key-cccccccccccccccc',
  tinyC: 'tiny-key-dddddddddddddddd',
};
const windowMs = 60_000;

function configYaml(extra = ''): string {
  return `auth:
  apiKeys:
    - { key: "${keys.tinyA}", client: web, tier: tiny }
    - { key: "${keys.tinyB}", client: mobile, tier: tiny }
    - { key: "${keys.daily}", client: partner, tier: daily }
    - { key: "${keys.tinyC}", client: kiosk, tier: tiny }
rateLimits:
  store: memory
  tiers:
    anonymous: { requests: 3, windowSeconds: 60 }
    tiny: { requests: 3, windowSeconds: 60 }
    daily: { requests: 100, windowSeconds: 60, dailyRequests: 2 }
${extra}`;
}

const configs: TempConfig[] = [];
const stacks: Stack[] = [];
async function stackWith(yaml: string): Promise<Stack> {
  const config = await writeTempConfig(yaml);
  configs.push(config);
  const stack = await startStack({ configFile: config.file });
  stacks.push(stack);
  return stack;
}
afterAll(async () => {
  await Promise.all(stacks.map((stack) => stack.close()));
  await Promise.all(configs.map((config) => config.remove()));
});

/** The RateLimit header's fields: `"tiny";r=2;t=41` → { name: 'tiny', r: 2, t: 41 }. */
function parseRateLimit(value: string | null): { name: string; r: number; t: number } {
  const match = /^"([^"]+)";r=(\d+);t=(\d+)$/.exec(value ?? '');
  if (!match) throw new Error(`malformed RateLimit header: ${value}`);
  return { name: match[1]!, r: Number(match[2]), t: Number(match[3]) };
}

/** Asserts that the X-RateLimit trio says the same as the RateLimit header. */
function expectConsistentHeaders(answer: GraphQLAnswer, limit: number) {
  const rateLimit = parseRateLimit(answer.headers.get('ratelimit'));
  expect(answer.headers.get('x-ratelimit-limit')).toBe(String(limit));
  expect(answer.headers.get('x-ratelimit-remaining')).toBe(String(rateLimit.r));
  expect(answer.headers.get('x-ratelimit-reset')).toBe(String(rateLimit.t));
  return rateLimit;
}

/** Asserts a tier 429: RATE_LIMITED, retryAfterSeconds equal to Retry-After, no data. */
function expectTierRefusal(answer: GraphQLAnswer): number {
  expect(answer.status).toBe(429);
  expect(answer.body.data).toBeUndefined();
  expect(answer.body.errors).toHaveLength(1);
  const extensions = answer.body.errors![0]!.extensions!;
  expect(extensions.code).toBe('RATE_LIMITED');
  const retryAfter = extensions.retryAfterSeconds as number;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(answer.headers.get('retry-after')).toBe(String(retryAfter));
  return retryAfter;
}

describe('tier quotas (no trusted proxy)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith(configYaml());
  });
  beforeEach(async () => {
    stack.services.clearRecords();
    await awayFromWindowEdge(windowMs);
  });

  it('an API key on tier tiny (3 per 60 s): 3 answers counting down, then 429 without any upstream call', async () => {
    const headers = { 'x-api-key': keys.tinyA };
    for (const expected of [2, 1, 0]) {
      const answer = await stack.graphql(query(), { headers });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ data: { products: [{ id: `p${lastProduct}` }] } });
      expect(answer.headers.get('ratelimit-policy')).toBe('"tiny";q=3;w=60');
      const rateLimit = expectConsistentHeaders(answer, 3);
      expect(rateLimit).toMatchObject({ name: 'tiny', r: expected });
      expect(rateLimit.t).toBeGreaterThanOrEqual(1);
      expect(rateLimit.t).toBeLessThanOrEqual(60);
    }
    expect(upstreamCalls(stack.services)).toBe(3);

    stack.services.clearRecords();
    const refused = await stack.graphql(query(), { headers });
    const retryAfter = expectTierRefusal(refused);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Math.abs(retryAfter - secondsLeftInWindow(windowMs))).toBeLessThanOrEqual(1);
    expect(refused.body.errors![0]!.message).toMatch(/3 requests per 60 s for tier tiny/);
    expect(refused.headers.get('ratelimit-policy')).toBe('"tiny";q=3;w=60');
    const rateLimit = expectConsistentHeaders(refused, 3);
    expect(rateLimit).toEqual({ name: 'tiny', r: 0, t: retryAfter });
    expect(upstreamCalls(stack.services)).toBe(0);

    // Refusals are not counted: the next one is refused the same way, not further out.
    const again = await stack.graphql(query(), { headers });
    expect(expectTierRefusal(again)).toBeLessThanOrEqual(retryAfter);
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_rejected_requests_total', { reason: 'rate_limit' })).toBe(2);
  });

  it('another key on the same tier has its own bucket', async () => {
    const answer = await stack.graphql(query(), { headers: { 'x-api-key': keys.tinyB } });
    expect(answer.status).toBe(200);
    expect(parseRateLimit(answer.headers.get('ratelimit'))).toMatchObject({ name: 'tiny', r: 2 });
  });

  it('a key counts per key whoever holds it: the users behind it share its bucket', async () => {
    for (const [index, user] of ['u9', 'u10', 'u11'].entries()) {
      const answer = await stack.graphql(query(), {
        headers: { 'x-api-key': keys.tinyC },
        token: await tokenFor(user),
      });
      expect(answer.status).toBe(200);
      expect(parseRateLimit(answer.headers.get('ratelimit'))).toMatchObject({ name: 'tiny', r: 2 - index });
    }
    expectTierRefusal(
      await stack.graphql(query(), { headers: { 'x-api-key': keys.tinyC }, token: await tokenFor('u12') }),
    );
  });

  it('users without a key count per sub, in tier anonymous', async () => {
    const u3 = await tokenFor('u3');
    for (const expected of [2, 1, 0]) {
      const answer = await stack.graphql(query(), { token: u3 });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-policy')).toBe('"anonymous";q=3;w=60');
      expect(expectConsistentHeaders(answer, 3)).toMatchObject({ name: 'anonymous', r: expected });
    }
    expectTierRefusal(await stack.graphql(query(), { token: u3 }));
    // Another user, and a new token for the same user (same sub, same bucket).
    const u4 = await stack.graphql(query(), { token: await tokenFor('u4') });
    expect(u4.status).toBe(200);
    expect(parseRateLimit(u4.headers.get('ratelimit')).r).toBe(2);
    expectTierRefusal(await stack.graphql(query(), { token: await tokenFor('u3', 'USER', '2h') }));
  });

  it('anonymous callers count per socket IP: a spoofed X-Forwarded-For from an untrusted peer changes nothing', async () => {
    const spoofs = ['203.0.113.1', '203.0.113.2', '198.51.100.7, 203.0.113.3'];
    for (const [index, forwarded] of spoofs.entries()) {
      const answer = await stack.graphql(query(), {
        headers: { 'x-forwarded-for': forwarded, 'x-real-ip': forwarded },
      });
      expect(answer.status).toBe(200);
      expect(parseRateLimit(answer.headers.get('ratelimit'))).toMatchObject({
        name: 'anonymous',
        r: 2 - index,
      });
    }
    stack.services.clearRecords();
    expectTierRefusal(await stack.graphql(query(), { headers: { 'x-forwarded-for': '192.0.2.200' } }));
    expectTierRefusal(await stack.graphql(query()));
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('dailyRequests: the daily quota runs out while the window still has room', async () => {
    await awayFromWindowEdge(dayMs);
    const headers = { 'x-api-key': keys.daily };
    const policy = '"daily";q=100;w=60, "daily-daily";q=2;w=86400';
    for (const expected of [1, 0]) {
      const answer = await stack.graphql(query(), { headers });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-policy')).toBe(policy);
      // The daily quota binds (fewer left than in the window): that is what the headers show.
      const rateLimit = expectConsistentHeaders(answer, 2);
      expect(rateLimit).toMatchObject({ name: 'daily-daily', r: expected });
      expect(Math.abs(rateLimit.t - secondsLeftInWindow(dayMs))).toBeLessThanOrEqual(1);
    }
    stack.services.clearRecords();
    const refused = await stack.graphql(query(), { headers });
    const retryAfter = expectTierRefusal(refused);
    expect(refused.body.errors![0]!.message).toMatch(/Daily quota of 2 requests for tier daily/);
    // Until the next UTC midnight, not until the end of the 60 s window.
    expect(Math.abs(retryAfter - secondsLeftInWindow(dayMs))).toBeLessThanOrEqual(1);
    expect(refused.headers.get('ratelimit-policy')).toBe(policy);
    expect(expectConsistentHeaders(refused, 2)).toEqual({ name: 'daily-daily', r: 0, t: retryAfter });
    expect(upstreamCalls(stack.services)).toBe(0);
  });
});

describe('behind a trusted proxy (server.trustedProxies: ["127.0.0.1"])', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith(configYaml('server:\n  trustedProxies: ["127.0.0.1"]\n'));
  });
  beforeEach(() => awayFromWindowEdge(windowMs));

  it('X-Forwarded-For names the client, one bucket per forwarded address', async () => {
    const from = (forwarded: string) => stack.graphql(query(), { headers: { 'x-forwarded-for': forwarded } });
    for (const expected of [2, 1, 0]) {
      const answer = await from('203.0.113.1');
      expect(answer.status).toBe(200);
      expect(parseRateLimit(answer.headers.get('ratelimit')).r).toBe(expected);
    }
    expectTierRefusal(await from('203.0.113.1'));
    // Only the hop the trusted proxy added counts: what the client prepended is not believed.
    expectTierRefusal(await from('198.51.100.66, 203.0.113.1'));
    const other = await from('203.0.113.2');
    expect(other.status).toBe(200);
    expect(parseRateLimit(other.headers.get('ratelimit')).r).toBe(2);
    // The proxy itself, without the header, is one more client.
    const direct = await stack.graphql(query());
    expect(direct.status).toBe(200);
    expect(parseRateLimit(direct.headers.get('ratelimit')).r).toBe(2);
  });
});

describe('@rateLimit on placeOrder (10 per minute per user)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  beforeEach(() => stack.services.clearRecords());

  const placeOrder = (alias = 'placeOrder') =>
    `${alias}: placeOrder(input: { items: [{ productId: "p1", quantity: 1 }] }) { id }`;
  const orderPosts = () =>
    stack.services.requests('orders', '/orders').filter((r) => r.method === 'POST').length;

  it('12 concurrent calls by one user: exactly 10 orders, 2 RATE_LIMITED with retryAfterSeconds', async () => {
    const token = await tokenFor('u5');
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => stack.graphql(`mutation { ${placeOrder()} }`, { token })),
    );
    const placed = answers.filter((a) => a.body.errors === undefined);
    const limited = answers.filter((a) => a.body.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(placed).toHaveLength(10);
    expect(limited).toHaveLength(2);
    for (const answer of placed)
      expect(answer.body.data?.placeOrder).toMatchObject({ id: expect.any(String) });
    for (const answer of limited) {
      // A field error: the tier let the request in, the field refused; placeOrder is non-null.
      expect(answer.status).toBe(200);
      expect(answer.body.data).toBeNull();
      expect(answer.body.errors).toHaveLength(1);
      const error = answer.body.errors![0]!;
      expect(error.path).toEqual(['placeOrder']);
      expect(error.message).toMatch(/Mutation\.placeOrder allows 10 calls per 1m/);
      expect(error.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(error.extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    expect(orderPosts()).toBe(10);
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_rejected_requests_total', { reason: 'field_rate_limit' })).toBe(
      2,
    );
  });

  it('12 aliases of placeOrder in one mutation: refused whole before any runs, nothing created', async () => {
    const aliases = Array.from({ length: 12 }, (_, i) => placeOrder(`o${i}`)).join(' ');
    const answer = await stack.graphql(`mutation { ${aliases} }`, { token: await tokenFor('u6') });
    expect(answer.status).toBe(200);
    // Had ten run, the 11th's non-null error would end the operation (data null) and the caller
    // would never learn the ten ids: the limit is checked for all twelve calls first.
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]).toMatchObject({
      path: ['o0'],
      message: expect.stringMatching(/allows 10 calls per 1m; this operation makes 12, so none of them ran/),
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) },
    });
    expect(orderPosts()).toBe(0);
  });

  it('aliases that fit the quota left all run, and count as many calls', async () => {
    const token = await tokenFor('u8');
    const three = Array.from({ length: 3 }, (_, i) => placeOrder(`a${i}`)).join(' ');
    const first = await stack.graphql(`mutation { ${three} }`, { token });
    expect(first.body.errors).toBeUndefined();
    expect(Object.keys(first.body.data ?? {})).toEqual(['a0', 'a1', 'a2']);
    expect(orderPosts()).toBe(3);
    // 7 of 10 left: 8 aliases do not fit, and none runs.
    const eight = Array.from({ length: 8 }, (_, i) => placeOrder(`b${i}`)).join(' ');
    const refused = await stack.graphql(`mutation { ${eight} }`, { token });
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(orderPosts()).toBe(3);
    // 7 do.
    const seven = Array.from({ length: 7 }, (_, i) => placeOrder(`c${i}`)).join(' ');
    expect((await stack.graphql(`mutation { ${seven} }`, { token })).body.errors).toBeUndefined();
    expect(orderPosts()).toBe(10);
  });

  it('another user is unaffected', async () => {
    const answer = await stack.graphql(`mutation { ${placeOrder()} }`, { token: await tokenFor('u7') });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.placeOrder).toMatchObject({ id: expect.any(String) });
    expect(orderPosts()).toBe(1);
  });

  it('the limited user stays limited, without a call, until the window moves', async () => {
    const answer = await stack.graphql(`mutation { ${placeOrder()} }`, { token: await tokenFor('u5') });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(orderPosts()).toBe(0);
  });
});

describe('rateLimitDirectiveTransformer (on a schema of its own)', () => {
  const sdl = (max: string, window: string) => `
    directive @rateLimit(max: Int!, window: String!) on FIELD_DEFINITION
    type A { hit: Int @rateLimit(max: ${max}, window: ${window}) }
    type B { hit: Int @rateLimit(max: 1, window: "1m") }
    type Query { a: A b: B }`;
  const schemaOf = (max = '1', window = '"1m"') =>
    rateLimitDirectiveTransformer(
      makeExecutableSchema({
        typeDefs: sdl(max, window),
        resolvers: { Query: { a: () => ({ hit: 1 }), b: () => ({ hit: 2 }) } },
      }),
      createMemoryBackend(),
    );
  const context = (userId: string) =>
    ({
      identity: { userId, role: 'USER', clientName: 'test', apiKey: false },
      clientIp: '192.0.2.1',
    }) as unknown as GraphQLContext;
  const run = (schema: ReturnType<typeof schemaOf>, query: string, userId = 'x') =>
    execute({ schema, document: parse(query), contextValue: context(userId) }) as Promise<{
      data?: Record<string, unknown>;
      errors?: { path?: readonly (string | number)[]; extensions: Record<string, unknown> }[];
    }>;

  it('counts per Type.field: two types with a field of the same name have separate buckets', async () => {
    const schema = schemaOf();
    const first = await run(schema, '{ a { hit } b { hit } }');
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({ a: { hit: 1 }, b: { hit: 2 } });
    const second = await run(schema, '{ a { hit } b { hit } }');
    expect(second.errors?.map((e) => [e.path, e.extensions.code])).toEqual([
      [['a', 'hit'], 'RATE_LIMITED'],
      [['b', 'hit'], 'RATE_LIMITED'],
    ]);
    // Another caller has buckets of its own.
    expect((await run(schema, '{ a { hit } }', 'y')).errors).toBeUndefined();
  });

  it('aliases count one each', async () => {
    const answer = await run(schemaOf('2'), '{ a { x: hit y: hit z: hit } }');
    expect(answer.data).toEqual({ a: { x: 1, y: 1, z: null } });
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  });

  it('one limiter per field serves concurrent calls: each refusal reads its own decision', async () => {
    // Decisions that come back in the reverse order of the calls, each with its own retry time.
    const retryMs = [5_000, 30_000];
    let calls = 0;
    const backend = {
      ...createMemoryBackend(),
      slidingLog: async () => {
        const index = calls++;
        await new Promise((resolve) => setTimeout(resolve, 20 - 10 * index));
        return { allowed: false, earlier: 1, retryAfterMs: retryMs[index]! };
      },
    };
    const schema = rateLimitDirectiveTransformer(
      makeExecutableSchema({ typeDefs: sdl('1', '"1m"'), resolvers: { Query: { a: () => ({ hit: 1 }) } } }),
      backend,
    );
    const answer = await run(schema, '{ a { x: hit y: hit } }');
    const retries = answer.errors?.map((e) => [e.path?.join('.'), e.extensions.retryAfterSeconds]);
    expect(Object.fromEntries(retries ?? [])).toEqual({ 'a.x': 5, 'a.y': 30 });
  });

  it('refuses a bad max or window at start-up, naming the field', () => {
    expect(() => schemaOf('0')).toThrow(/@rateLimit on A\.hit: max must be ≥ 1/);
    expect(() => schemaOf('1', '"soon"')).toThrow(/@rateLimit on A\.hit/);
  });

  it('durationMs reads the forms graphql-rate-limit documents', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('10s')).toBe(10_000);
    expect(durationMs('1m')).toBe(60_000);
    expect(durationMs(' 2h ')).toBe(7_200_000);
    expect(durationMs('1d')).toBe(86_400_000);
    for (const bad of ['0s', '1', 'm', '1 week', '-1m', '1.5m']) expect(durationMs(bad), bad).toBeUndefined();
  });
});
