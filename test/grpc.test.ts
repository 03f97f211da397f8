// The gRPC recommendations upstream, end to end: a real @grpc/grpc-js server (the demo's), the
// real gateway, real sockets. One RPC per batch level for every user, deadlines, status codes,
// metadata, the service down and back, and the gateway without it.
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type RecommendationsService,
  recommendationsFor,
  startRecommendationsService,
} from '../src/demo/recommendations-service.js';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let grpc: RecommendationsService;
let stack: Stack;
let config: TempConfig;
beforeAll(async () => {
  grpc = await startRecommendationsService();
  config = await writeTempConfig(
    [
      'upstreams:',
      `  recommendations: { protocol: grpc, urls: ["${grpc.address}"], timeoutMs: 300, retries: 1, breaker: { volumeThreshold: 1000 } }`,
      'cache: { responses: false, entities: false }',
      'rateLimits: { tiers: { anonymous: { requests: 100000, windowSeconds: 60 } } }',
    ].join('\n'),
  );
  stack = await startStack({ configFile: config.file });
});
afterAll(async () => {
  await stack?.close();
  await grpc?.close();
  await config?.remove();
});
afterEach(async () => {
  grpc.setFault(null);
  grpc.calls.length = 0;
  stack.services.clearRecords();
});

const names = (ids: string[], data: Stack['services']['data']) =>
  ids.map((id) => ({ id, name: data.products.get(id)!.name }));

describe('recommendations over gRPC', () => {
  it('a dashboard with recommendations costs 5 REST calls and 1 RPC', async () => {
    const answer = await stack.graphql(
      `{ dashboard { user { name } recentOrders(limit: 2) { items { product { name } } }
         notifications(limit: 2) { id } unreadCount recommendations(limit: 3) { id name } } }`,
      { token: await tokenFor('u2') },
    );
    expect(answer.body.errors).toBeUndefined();
    const dashboard = answer.body.data!.dashboard as { recommendations: { id: string; name: string }[] };
    expect(dashboard.recommendations).toEqual(
      names(recommendationsFor('u2').slice(0, 3), stack.services.data),
    );
    expect(grpc.calls).toEqual([expect.objectContaining({ userIds: ['u2'], limit: 3 })]);
    // users 1, orders 1, notifications 2, products 1: the recommended products joined the order items'.
    const rest = ['users', 'orders', 'notifications', 'products'] as const;
    expect(rest.map((s) => stack.services.requests(s).length)).toEqual([1, 1, 2, 1]);
  });

  it('asks once for every user of a batch level, never once per user', async () => {
    const query = `{ a: user(id: "u3") { recommendations { id } } b: user(id: "u4") { recommendations { id } }
      c: user(id: "u5") { recommendations(limit: 2) { id } } }`;
    const answer = await stack.graphql(query, { token: await tokenFor('u1', 'ADMIN') });
    expect(answer.body.errors).toBeUndefined();
    // One RPC per limit asked: u3 and u4 at 5, u5 at 2.
    expect(grpc.calls.map((c) => [c.userIds.sort(), c.limit]).sort()).toEqual([
      [['u3', 'u4'], 5],
      [['u5'], 2],
    ]);
  });

  it('sends the allow-listed metadata, never authorization or cookies', async () => {
    await stack.graphql('{ me { recommendations(limit: 1) { id } } }', {
      token: await tokenFor('u6'),
      headers: {
        cookie: 'session=secret',
        'x-request-id': 'grpc-meta-1',
        'apollographql-client-name': 'web',
      },
    });
    const metadata = grpc.calls[0]!.metadata;
    expect(metadata).toMatchObject({
      'x-request-id': 'grpc-meta-1',
      'x-user-id': 'u6',
      'x-client-name': 'web',
    });
    expect(metadata.authorization).toBeUndefined();
    expect(metadata.cookie).toBeUndefined();
  });

  it.each([
    [{ kind: 'delay', delayMs: 1_000 } as const, 'UPSTREAM_TIMEOUT'],
    [{ kind: 'status', code: status.UNAVAILABLE } as const, 'UPSTREAM_UNAVAILABLE'],
    [
      { kind: 'status', code: status.INVALID_ARGUMENT, message: 'limit out of range' } as const,
      'BAD_USER_INPUT',
    ],
    [{ kind: 'status', code: status.INTERNAL } as const, 'UPSTREAM_ERROR'],
    [{ kind: 'status', code: status.NOT_FOUND } as const, 'UPSTREAM_ERROR'],
  ])('%j maps to %s, and costs only the recommendations field', async (fault, code) => {
    grpc.setFault(fault);
    const answer = await stack.graphql('{ me { name recommendations { id } } }', {
      token: await tokenFor('u7'),
    });
    expect(answer.body.data).toEqual({ me: { name: expect.any(String), recommendations: null } });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['me', 'recommendations'],
        extensions: expect.objectContaining({ code, service: 'recommendations' }),
      }),
    ]);
    // Retries only on UNAVAILABLE (one retry configured): the call never reached the service.
    expect(grpc.calls).toHaveLength(code === 'UPSTREAM_UNAVAILABLE' ? 2 : 1);
  });

  it('a limit outside 1..50 is refused before any RPC', async () => {
    const answer = await stack.graphql('{ me { recommendations(limit: 51) { id } } }', {
      token: await tokenFor('u8'),
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(grpc.calls).toHaveLength(0);
  });

  it('the service down, then back: UPSTREAM_UNAVAILABLE meanwhile, answers again after', async () => {
    await grpc.stop();
    const down = await stack.graphql('{ me { recommendations { id } } }', { token: await tokenFor('u9') });
    expect(down.body.errors?.[0]?.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      service: 'recommendations',
    });
    await grpc.start();
    let back: Awaited<ReturnType<Stack['graphql']>> | undefined;
    for (let i = 0; i < 40; i++) {
      back = await stack.graphql('{ me { recommendations { id } } }', { token: await tokenFor('u9') });
      if (!back.body.errors) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(back!.body.errors).toBeUndefined();
    const metrics = await scrapeMetrics(stack.url);
    expect(
      metricValue(metrics, 'switchboard_upstream_request_duration_seconds_count', {
        service: 'recommendations',
        outcome: 'ok',
      }),
    ).toBeGreaterThan(0);
  });
});

describe('without a recommendations service', () => {
  let bare: Stack;
  beforeAll(async () => {
    bare = await startStack({ env: { RECOMMENDATIONS_URL: '' } });
  });
  afterAll(async () => bare?.close());

  it('starts, and the field answers null with UPSTREAM_UNAVAILABLE', async () => {
    const answer = await bare.graphql('{ dashboard { unreadCount recommendations { id } } }', {
      token: await tokenFor('u2'),
    });
    expect(answer.body.data).toEqual({
      dashboard: { unreadCount: expect.any(Number), recommendations: null },
    });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['dashboard', 'recommendations'],
        extensions: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', service: 'recommendations' }),
      }),
    ]);
  });
});
