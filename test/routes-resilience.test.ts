// REST routes when services fail, against the real demo services' fault injection: the same
// timeouts, breaker and retry rules as GraphQL's calls, coded JSON when no answer comes, the
// service's own answer (whatever its status) when one does, and the caller's tier quota.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearFaults } from './helpers/faults.js';
import { type GatewayInstance, startGateway } from './helpers/gateway.js';
import { type RawAnswer, rawRequest } from './helpers/http.js';
import { expectNoLeaks } from './helpers/leaks.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let stack: Stack;
const configs: TempConfig[] = [];

beforeAll(async () => {
  const config = await writeTempConfig(`
upstreams:
  orders: { retries: 2, breaker: { volumeThreshold: 1000 } }
  notifications: { retries: 0, breaker: { volumeThreshold: 1000 } }
  users: { retries: 0, breaker: { volumeThreshold: 2, errorThresholdPercent: 50, resetTimeoutMs: 60000 } }
routes:
  - { path: /r/orders, upstream: orders, rewrite: /orders, methods: [GET, POST] }
  - { path: /r/notifications, upstream: notifications, rewrite: /notifications, timeoutMs: 300 }
  - { path: /r/users, upstream: users, rewrite: /users }
`);
  configs.push(config);
  stack = await startStack({ configFile: config.file });
});

afterAll(async () => {
  await stack?.close();
  await Promise.all(configs.map((config) => config.remove()));
});

afterEach(async () => {
  await clearFaults(stack.services);
  stack.services.clearRecords();
});

const send = (
  path: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
) => rawRequest(stack.url, { path, ...options });
const bodyOf = (answer: RawAnswer) => JSON.parse(answer.text) as unknown;

describe('no answer from the service: a coded JSON error naming it', () => {
  it('504 UPSTREAM_TIMEOUT when the service hangs past the route timeoutMs', async () => {
    stack.services.setFault('notifications', { kind: 'hang' });
    const answer = await send('/r/notifications?userIds=u2');
    expect(answer.status).toBe(504);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(bodyOf(answer)).toEqual({ error: { code: 'UPSTREAM_TIMEOUT', service: 'notifications' } });
    expectNoLeaks(bodyOf(answer), stack.services);
  });

  it('503 UPSTREAM_UNAVAILABLE when the service refuses connections', async () => {
    stack.services.setFault('notifications', { kind: 'refuse' });
    const answer = await send('/r/notifications?userIds=u2');
    expect(answer.status).toBe(503);
    expect(bodyOf(answer)).toEqual({ error: { code: 'UPSTREAM_UNAVAILABLE', service: 'notifications' } });
  });
});

describe('an answer cut short', () => {
  it('cuts the caller off too, never ending the answer as if it were whole; the next call is served', async () => {
    // 200 and a declared length, part of the body, then the connection is destroyed.
    stack.services.setFault('notifications', { kind: 'reset' });
    await expect(send('/r/notifications?userIds=u2')).rejects.toThrow();
    await clearFaults(stack.services);
    const next = await send('/r/notifications?userIds=u2');
    expect(next.status).toBe(200);
  });
});

describe('retries: reads only', () => {
  it('a GET that failed with a 5xx is retried, and the last answer is passed on as it is', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 503 });
    const answer = await send('/r/orders?userIds=u2', {
      headers: { authorization: `Bearer ${await tokenFor('u2')}` },
    });
    expect(answer.status).toBe(503);
    expect(bodyOf(answer)).toEqual({ error: 'injected failure' });
    // `retries: 2`: the first attempt and two more.
    expect(stack.services.requests('orders').map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /orders',
      'GET /orders',
      'GET /orders',
    ]);
  });

  it('a POST is never retried: its body was sent once', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 503 });
    const answer = await send('/r/orders', {
      method: 'POST',
      body: JSON.stringify({ items: [{ productId: 'p1', quantity: 1 }] }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('u2')}` },
    });
    expect(answer.status).toBe(503);
    const sent = stack.services.requests('orders');
    expect(sent.map((r) => r.method)).toEqual(['POST']);
    expect(sent[0]?.body).toEqual({ items: [{ productId: 'p1', quantity: 1 }] });
  });
});

describe('the breaker', () => {
  it('opens on 5xx answers (passed on as they are), then answers 503 without calling the service', async () => {
    stack.services.setFault('users', { kind: 'status', status: 500 });
    for (let i = 0; i < 2; i++) {
      const failed = await send('/r/users?ids=u1');
      expect(failed.status).toBe(500);
      expect(bodyOf(failed)).toEqual({ error: 'injected failure' });
    }
    const open = await send('/r/users?ids=u1');
    expect(open.status).toBe(503);
    expect(bodyOf(open)).toEqual({ error: { code: 'UPSTREAM_UNAVAILABLE', service: 'users' } });
    expect(stack.services.requests('users')).toHaveLength(2);
  });
});

describe('the tier quota', () => {
  let limited: GatewayInstance;

  beforeAll(async () => {
    const config = await writeTempConfig(`
rateLimits: { tiers: { anonymous: { requests: 2, windowSeconds: 60 } } }
routes:
  - { path: /r/products, upstream: products, rewrite: /products }
`);
    configs.push(config);
    limited = await startGateway(stack.services, { configFile: config.file });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('counts each proxied request and answers 429 with the same headers as GraphQL', async () => {
    const first = await rawRequest(limited.url, { path: '/r/products?ids=p1' });
    expect(first.status).toBe(200);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1' });
    expect((await rawRequest(limited.url, { path: '/r/products?ids=p1' })).status).toBe(200);
    const refused = await rawRequest(limited.url, { path: '/r/products?ids=p1' });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(bodyOf(refused)).toEqual({
      error: {
        code: 'RATE_LIMITED',
        message: 'Rate limit of 2 requests per 60 s for tier anonymous exceeded',
        retryAfterSeconds: retryAfter,
      },
    });
    expect(stack.services.requests('products')).toHaveLength(2);
    // The same caller's GraphQL request draws on the same quota, and is refused the same way.
    const graphql = await limited.graphql('{ __typename }');
    expect(graphql.status).toBe(429);
    const limitHeaders = [
      'retry-after',
      'ratelimit',
      'ratelimit-policy',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
    ];
    for (const name of limitHeaders) {
      expect(refused.headers[name], name).toBe(graphql.headers.get(name));
    }
  });
});
