import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const apiKey = 'obs-test-key-0123456789abcdef';
const lines: Record<string, unknown>[] = [];
const raw: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      raw.push(line);
      lines.push(JSON.parse(line));
    }
    done();
  },
});

let stack: Stack;
let config: TempConfig;
let token: string;
beforeAll(async () => {
  config = await writeTempConfig(
    `auth:\n  apiKeys:\n    - { key: "${apiKey}", client: web, tier: pro }\nupstreams:\n  orders: { retries: 0 }\n`,
  );
  stack = await startStack({
    configFile: config.file,
    logStream,
    services: { productsCacheControl: 'public, max-age=60' },
  });
  token = await tokenFor('u1', 'ADMIN');
});
afterAll(async () => {
  await stack.close();
  await config.remove();
});

const dashboard =
  'query Home { dashboard { user { name } recentOrders { id items { product { name } } } unreadCount } }';

describe('logs', () => {
  it('writes one line per request with its id, client, operation, status, duration, upstream calls and error codes', async () => {
    const answer = await stack.graphql(dashboard, {
      token,
      headers: { 'x-api-key': apiKey, 'x-request-id': 'obs-req-1', cookie: 'session=cookie-secret-value' },
      variables: { password: 'hunter2-secret' },
    });
    expect(answer.status).toBe(200);
    const line = lines.find((l) => l.msg === 'graphql request' && l.reqId === 'obs-req-1');
    expect(line).toMatchObject({
      level: 30,
      reqId: 'obs-req-1',
      client: 'web',
      operation: 'Home',
      type: 'query',
      status: 200,
      errorCodes: [],
    });
    // users, orders, notifications (unread, for unreadCount), products: nothing cached yet.
    expect(line!.upstreamCalls).toBe(4);
    expect(typeof line!.durationMs).toBe('number');
  });

  it('writes a line per failed upstream call and lists the error codes on the request line', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 500 });
    try {
      await stack.graphql(dashboard, { token, headers: { 'x-request-id': 'obs-req-2' } });
    } finally {
      stack.services.setFault('orders', null);
    }
    const failed = lines.find((l) => l.msg === 'upstream call failed' && l.reqId === 'obs-req-2');
    expect(failed).toMatchObject({
      level: 40,
      service: 'orders',
      status: 500,
      outcome: 'error',
      method: 'GET',
      path: '/orders',
    });
    const request = lines.find((l) => l.msg === 'graphql request' && l.reqId === 'obs-req-2');
    expect(request!.errorCodes).toEqual(['UPSTREAM_ERROR']);
  });

  it('never writes a secret: token, API key, cookie or variables', async () => {
    // A gateway of its own, whose every line is captured, and requests of its own: so the test
    // means something run alone, and its requests do not move the other tests' metrics.
    const written: string[] = [];
    const own = await startStack({
      configFile: config.file,
      logStream: new Writable({
        write(chunk, _encoding, done) {
          written.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    });
    const addresses = [own.services.urls.orders, ...own.services.urls.products];
    try {
      const secrets = { 'x-api-key': apiKey, cookie: 'session=cookie-secret-value' };
      const variables = { password: 'hunter2-secret' };
      await own.graphql(dashboard, {
        token,
        headers: { ...secrets, 'x-request-id': 'obs-secret-1' },
        variables,
      });
      own.services.setFault('orders', { kind: 'status', status: 500 });
      await own.graphql(dashboard, {
        token,
        headers: { ...secrets, 'x-request-id': 'obs-secret-2' },
        variables,
      });
    } finally {
      await own.close();
    }
    // The lines are there (a request line each, and the failed call's)...
    expect(written.filter((line) => line.includes('obs-secret-')).length).toBeGreaterThanOrEqual(3);
    const all = written.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(apiKey);
    expect(all).not.toContain('cookie-secret-value');
    expect(all).not.toContain('hunter2-secret');
    // Nor an upstream address: replicas are logged by index.
    for (const url of addresses) expect(all).not.toContain(url);
  });
});

describe('metrics', () => {
  it('exposes each metric with its labels after a dashboard, a failure and a cache hit', async () => {
    // Two shapes of one upstream call: the second is an upstream cache hit, not a response cache hit.
    await stack.graphql('{ products(ids: ["p7"]) { id } }');
    await stack.graphql('{ products(ids: ["p7"]) { id name } }');
    const text = await scrapeMetrics(stack.url);
    expect(
      metricValue(text, 'switchboard_http_requests_total', { route: '/graphql', status: '200' }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'switchboard_graphql_operation_duration_seconds_count', {
        operation: 'Home',
        client: 'web',
        outcome: 'success',
      }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'switchboard_graphql_operation_duration_seconds_count', {
        operation: 'Home',
        client: 'anonymous',
        outcome: 'partial',
      }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'switchboard_upstream_request_duration_seconds_count', {
        service: 'orders',
        outcome: 'error',
      }),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'switchboard_upstream_request_duration_seconds_count', {
        service: 'users',
        outcome: 'ok',
      }),
    ).toBeGreaterThan(0);
    // products look-ups by id go through the entity cache: p7 was asked once, then came from it.
    expect(metricValue(text, 'switchboard_entity_cache_hits_total', { service: 'products' })).toBe(1);
    expect(
      metricValue(text, 'switchboard_entity_cache_misses_total', { service: 'products' }),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/switchboard_cache_bytes\{cache="entities"\} [1-9]/);
    expect(text).toContain('# TYPE switchboard_upstream_cache_hits_total counter');
    expect(text).toContain('switchboard_upstream_breaker_state');
    expect(text).toContain('# TYPE switchboard_http_requests_in_flight gauge');
    expect(text).toContain('# TYPE switchboard_rejected_requests_total counter');
    expect(text).toContain('# TYPE switchboard_upstream_retries_total counter');
  });
});

describe('Server-Timing', () => {
  it('splits gateway and upstream time on every GraphQL answer', async () => {
    const answer = await stack.graphql(dashboard, { token });
    expect(answer.headers.get('server-timing')).toMatch(
      /^gateway;dur=\d+\.\d, upstream;dur=\d+\.\d;desc="\d+ calls"$/,
    );
  });
});
