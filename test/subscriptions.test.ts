// Subscriptions end to end: real graphql-ws and graphql-sse clients, the real gateway, the demo
// notifications service's real event stream (GET /notifications/events) with its fault injection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDemoServices } from '../src/demo/services.js';
import { spawnCli } from './helpers/cli.js';
import { startGateway } from './helpers/gateway.js';
import { gatewayEnv, type Stack, startStack, tokenFor } from './helpers/stack.js';
import { postNotification, rawSocket, sseClient, until, wsClient } from './helpers/subscriptions.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const streamPath = '/notifications/events';

describe('subscriptions', () => {
  let stack: Stack;
  let config: TempConfig;
  const streamRequests = () => stack.services.requests('notifications', streamPath);

  beforeAll(async () => {
    config = await writeTempConfig(
      ['subscriptions:', '  maxPerConnection: 3', '  maxPerUser: 4', '  maxQueuedEvents: 5', ''].join('\n'),
    );
    stack = await startStack({ configFile: config.file });
  });
  afterAll(async () => {
    await stack?.close();
    await config?.remove();
  });

  it('delivers over graphql-ws a user’s notifications in order, and never another user’s', async () => {
    const alice = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u1')}` });
    const bob = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u2')}` });
    const a = alice.subscribe();
    const b = bob.subscribe();
    await until(
      () =>
        stack.services.notificationEvents.count('u1') === 1 &&
        stack.services.notificationEvents.count('u2') === 1,
    );
    const sent = [];
    for (let i = 1; i <= 5; i += 1) sent.push(await postNotification(stack.services, 'u1', `for alice ${i}`));
    const toBob = await postNotification(stack.services, 'u2', 'for bob');
    await a.waitFor(5);
    await b.waitFor(1);
    expect(a.data.map((n) => n.id)).toEqual(sent.map((n) => n.id));
    expect(a.data.map((n) => n.message)).toEqual([
      'for alice 1',
      'for alice 2',
      'for alice 3',
      'for alice 4',
      'for alice 5',
    ]);
    expect(b.data.map((n) => n.id)).toEqual([toBob.id]);
    a.stop();
    b.stop();
    await alice.dispose();
    await bob.dispose();
    await until(
      () => stack.services.notificationEvents.count() === 0,
      10_000,
      'the upstream streams to close',
    );
  });

  it('delivers over graphql-sse in order, and never another user’s', async () => {
    const alice = sseClient(stack.url, { authorization: `Bearer ${await tokenFor('u3')}` });
    const bob = sseClient(stack.url, { authorization: `Bearer ${await tokenFor('u4')}` });
    const a = alice.subscribe();
    const b = bob.subscribe();
    await until(
      () =>
        stack.services.notificationEvents.count('u3') === 1 &&
        stack.services.notificationEvents.count('u4') === 1,
    );
    const first = await postNotification(stack.services, 'u3', 'one', 'ORDER');
    await postNotification(stack.services, 'u4', 'not yours');
    const second = await postNotification(stack.services, 'u3', 'two', 'PROMO');
    await a.waitFor(2);
    await b.waitFor(1);
    expect(a.data).toEqual([
      { id: first.id, kind: 'ORDER', message: 'one' },
      { id: second.id, kind: 'PROMO', message: 'two' },
    ]);
    expect(b.data.map((n) => n.message)).toEqual(['not yours']);
    a.stop();
    b.stop();
    alice.dispose();
    bob.dispose();
    await until(
      () => stack.services.notificationEvents.count() === 0,
      10_000,
      'the upstream streams to close',
    );
  });

  describe('refuses a missing or invalid token before any upstream stream opens', () => {
    const cases: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a malformed token', { authorization: 'Bearer not.a.jwt' }],
      [
        'a token signed with another secret',
        { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl' },
      ],
      ['an unknown API key alone', { 'x-api-key': 'nope' }],
    ];
    for (const [name, params] of cases) {
      it(`WebSocket: ${name} closes with 4403`, async () => {
        const before = streamRequests().length;
        const socket = await rawSocket(stack.url);
        socket.send({ type: 'connection_init', payload: params });
        const { code } = await socket.closed;
        expect(code).toBe(4403);
        expect(streamRequests().length).toBe(before);
      });
      it(`SSE: ${name} is a 401`, async () => {
        const before = streamRequests().length;
        const response = await fetch(`${stack.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...params },
          body: JSON.stringify({ query: 'subscription { notificationAdded { id } }' }),
        });
        expect(response.status).toBe(401);
        expect(
          ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions
            .code,
        ).toBe('UNAUTHENTICATED');
        expect(streamRequests().length).toBe(before);
      });
    }
    it('an expired token is refused too', async () => {
      const expired = await tokenFor('u1', 'USER', '-10s');
      const socket = await rawSocket(stack.url);
      socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${expired}` } });
      expect((await socket.closed).code).toBe(4403);
    });
  });

  it('ends a subscription with UNAUTHENTICATED when its token expires', async () => {
    const short = await tokenFor('u5', 'USER', '2s');
    const client = wsClient(stack.url, { authorization: `Bearer ${short}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u5') === 1);
    await sub.ended;
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    // Nothing is delivered after the end, and the upstream stream is closed.
    await until(() => stack.services.notificationEvents.count('u5') === 0, 10_000, 'the stream to close');
    await client.dispose();
  });

  it('goes on past the old expiry when a ping carries a fresh token for the same user', async () => {
    const socket = await rawSocket(stack.url);
    socket.send({
      type: 'connection_init',
      payload: { authorization: `Bearer ${await tokenFor('u6', 'USER', '2s')}` },
    });
    await socket.next((m) => m.type === 'connection_ack');
    socket.send({
      type: 'subscribe',
      id: 's1',
      payload: { query: 'subscription { notificationAdded { id message } }' },
    });
    await until(() => stack.services.notificationEvents.count('u6') === 1);
    socket.send({ type: 'ping', payload: { authorization: `Bearer ${await tokenFor('u6', 'USER', '1h')}` } });
    await socket.next((m) => m.type === 'pong');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const late = await postNotification(stack.services, 'u6', 'after the first exp');
    const next = await socket.next((m) => m.type === 'next');
    expect(next).toMatchObject({ id: 's1', payload: { data: { notificationAdded: { id: late.id } } } });
    expect(socket.messages.filter((m) => m.type === 'error')).toEqual([]);
    socket.socket.close();
  });

  it('closes a connection whose ping carries another user’s token', async () => {
    const socket = await rawSocket(stack.url);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('u7')}` } });
    await socket.next((m) => m.type === 'connection_ack');
    socket.send({ type: 'ping', payload: { authorization: `Bearer ${await tokenFor('u8')}` } });
    expect((await socket.closed).code).toBe(4403);
  });

  it('shares one upstream stream among a user’s subscriptions, closed after the last one', async () => {
    const before = streamRequests().length;
    const token = await tokenFor('u9');
    const ws = wsClient(stack.url, { authorization: `Bearer ${token}` });
    const sse = sseClient(stack.url, { authorization: `Bearer ${token}` });
    const subs = [ws.subscribe(), ws.subscribe(), sse.subscribe()];
    await until(() => stack.services.notificationEvents.count('u9') === 1);
    const sent = await postNotification(stack.services, 'u9', 'to all three');
    for (const sub of subs) await sub.waitFor(1);
    for (const sub of subs) expect(sub.data.map((n) => n.id)).toEqual([sent.id]);
    expect(streamRequests().length - before).toBe(1);
    subs[0]!.stop();
    subs[2]!.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stack.services.notificationEvents.count('u9')).toBe(1);
    subs[1]!.stop();
    await until(
      () => stack.services.notificationEvents.count('u9') === 0,
      10_000,
      'the last one to close it',
    );
    await ws.dispose();
    sse.dispose();
  });

  it('loses and duplicates nothing when the upstream stream drops (Last-Event-ID)', async () => {
    const client = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u10')}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u10') === 1);
    const one = await postNotification(stack.services, 'u10', 'before the drop');
    await sub.waitFor(1);
    const opened = streamRequests().filter((r) => r.query.userId === 'u10').length;
    stack.services.notificationEvents.dropAll();
    // Created while no stream is open: the reconnection must replay it.
    const two = await postNotification(stack.services, 'u10', 'during the drop');
    const three = await postNotification(stack.services, 'u10', 'also during the drop');
    await until(() => stack.services.notificationEvents.count('u10') === 1, 15_000, 'the reconnection');
    const four = await postNotification(stack.services, 'u10', 'after it');
    await sub.waitFor(4, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sub.data.map((n) => n.id)).toEqual([one.id, two.id, three.id, four.id]);
    const reconnect = streamRequests().filter((r) => r.query.userId === 'u10')[opened];
    expect(reconnect?.headers['last-event-id']).toBe(one.id);
    sub.stop();
    await client.dispose();
  });

  it('loses nothing when the stream drops before its first event (the newest notification is the baseline)', async () => {
    const client = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u11')}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u11') === 1);
    stack.services.notificationEvents.dropAll();
    const gap = await postNotification(stack.services, 'u11', 'in the gap');
    await sub.waitFor(1, 15_000);
    expect(sub.data.map((n) => n.id)).toEqual([gap.id]);
    sub.stop();
    await client.dispose();
  });

  it('keeps subscriptions open through an outage of the notifications service, and resumes after it', async () => {
    const client = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u17')}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u17') === 1);
    const before = streamRequests().length;
    stack.services.setFault('notifications', { kind: 'status', status: 503 });
    stack.services.notificationEvents.dropAll();
    // At least two failed reopenings (503) while the subscription stays open.
    await until(() => streamRequests().length >= before + 2, 15_000, 'the reopenings');
    expect(sub.errors).toEqual([]);
    stack.services.setFault('notifications', null);
    await until(
      () => stack.services.notificationEvents.count('u17') === 1,
      20_000,
      'the stream to come back',
    );
    const after = await postNotification(stack.services, 'u17', 'after the outage');
    await sub.waitFor(1);
    expect(sub.data.map((n) => n.id)).toEqual([after.id]);
    sub.stop();
    await client.dispose();
  });

  it('holds subscriptions.maxPerConnection and maxPerUser', async () => {
    const token = `Bearer ${await tokenFor('u12')}`;
    const socket = await rawSocket(stack.url);
    socket.send({ type: 'connection_init', payload: { authorization: token } });
    await socket.next((m) => m.type === 'connection_ack');
    for (const id of ['a', 'b', 'c', 'd']) {
      socket.send({ type: 'subscribe', id, payload: { query: 'subscription { notificationAdded { id } }' } });
    }
    const refused = (await socket.next((m) => m.type === 'error')) as {
      id: string;
      payload: { extensions: { code: string }; message: string }[];
    };
    expect(refused.id).toBe('d');
    expect(refused.payload[0]?.extensions.code).toBe('RATE_LIMITED');
    expect(refused.payload[0]?.message).toContain('maxPerConnection');
    // A second connection of the same user: one more fits under maxPerUser (4), the next does not.
    const other = sseClient(stack.url, { authorization: token });
    const fourth = other.subscribe();
    await until(() => socket.messages.length > 0 && stack.services.notificationEvents.count('u12') === 1);
    const fifth = other.subscribe();
    await fifth.ended;
    expect(fifth.errors.map((e) => e.extensions?.code ?? e.message)).toEqual(['RATE_LIMITED']);
    fourth.stop();
    other.dispose();
    socket.socket.close();
  });

  it('counts each new subscription against the caller’s tier', async () => {
    const limited = await writeTempConfig(
      ['rateLimits:', '  tiers:', '    anonymous: { requests: 2, windowSeconds: 60 }', ''].join('\n'),
    );
    const gateway = await startGateway(stack.services, { configFile: limited.file });
    try {
      const socket = await rawSocket(gateway.url);
      socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('u13')}` } });
      await socket.next((m) => m.type === 'connection_ack');
      for (const id of ['1', '2', '3']) {
        socket.send({
          type: 'subscribe',
          id,
          payload: { query: 'subscription { notificationAdded { id } }' },
        });
      }
      const refused = (await socket.next((m) => m.type === 'error')) as {
        id: string;
        payload: { extensions: { code: string } }[];
      };
      expect(refused.id).toBe('3');
      expect(refused.payload[0]?.extensions.code).toBe('RATE_LIMITED');
      socket.socket.close();
    } finally {
      await gateway.close();
      await limited.remove();
    }
  });

  it('keeps one upstream stream per instance: two gateways each hold their own, and both deliver', async () => {
    const second = await startGateway(stack.services);
    try {
      const token = `Bearer ${await tokenFor('u14')}`;
      const one = wsClient(stack.url, { authorization: token });
      const two = wsClient(second.url, { authorization: token });
      const a = one.subscribe();
      const b = two.subscribe();
      await until(() => stack.services.notificationEvents.count('u14') === 2);
      const sent = await postNotification(stack.services, 'u14', 'to both instances');
      await a.waitFor(1);
      await b.waitFor(1);
      expect([a.data[0]?.id, b.data[0]?.id]).toEqual([sent.id, sent.id]);
      a.stop();
      b.stop();
      await one.dispose();
      await two.dispose();
    } finally {
      await second.close();
    }
  });

  it('refuses queries and mutations on the subscription transports, and subscriptions on plain POST', async () => {
    const socket = await rawSocket(stack.url);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('u15')}` } });
    await socket.next((m) => m.type === 'connection_ack');
    socket.send({ type: 'subscribe', id: 'q', payload: { query: '{ me { id } }' } });
    const refused = (await socket.next((m) => m.type === 'error')) as {
      payload: { extensions: { code: string } }[];
    };
    expect(refused.payload[0]?.extensions.code).toBe('BAD_REQUEST');
    socket.socket.close();
    const plain = await stack.graphql('subscription { notificationAdded { id } }', {
      token: await tokenFor('u15'),
    });
    expect(plain.body.errors?.[0]?.extensions?.code).toBeDefined();
    expect(stack.services.notificationEvents.count('u15')).toBe(0);
  });

  it('reports active subscriptions, deliveries and reconnects in /metrics', async () => {
    const client = wsClient(stack.url, { authorization: `Bearer ${await tokenFor('u16')}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u16') === 1);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_subscriptions_active\{transport="websocket"\} 1/);
    expect(metrics).toMatch(/switchboard_subscription_events_total \d+/);
    expect(metrics).toMatch(/switchboard_upstream_stream_reconnects_total [1-9]/);
    sub.stop();
    await client.dispose();
  });
});

describe('subscriptions: a consumer that stops reading', () => {
  it('is cut off with SLOW_CONSUMER after maxQueuedEvents, while another subscriber of the same user goes on', async () => {
    const config = await writeTempConfig(['subscriptions:', '  maxQueuedEvents: 20', ''].join('\n'));
    const stack = await startStack({ configFile: config.file });
    try {
      const token = `Bearer ${await tokenFor('u1')}`;
      const slow = await rawSocket(stack.url);
      slow.send({ type: 'connection_init', payload: { authorization: token } });
      await slow.next((m) => m.type === 'connection_ack');
      slow.send({
        type: 'subscribe',
        id: 'slow',
        payload: { query: 'subscription { notificationAdded { id message } }' },
      });
      const healthy = wsClient(stack.url, { authorization: token });
      const fine = healthy.subscribe();
      await until(() => stack.services.notificationEvents.count('u1') === 1);
      // The slow client stops reading: once the kernel's buffers are full, the gateway's writes
      // wait, and its events queue up behind them.
      (slow.socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const message = 'x'.repeat(1_000);
      let sent = 0;
      // One at a time: the healthy subscriber keeps up with each (a burst larger than
      // maxQueuedEvents would be more than it may fall behind, and would end it too).
      while (sent < 20_000) {
        await postNotification(stack.services, 'u1', message);
        sent += 1;
        if (sent % 100 !== 0) continue;
        const metrics = await (await fetch(`${stack.url}/metrics`)).text();
        if (/switchboard_subscription_slow_consumers_total 1/.test(metrics)) break;
      }
      await fine.waitFor(sent, 30_000);
      (slow.socket as unknown as { _socket: import('node:net').Socket })._socket.resume();
      const ended = (await slow.next(
        (m) => m.type === 'next' && JSON.stringify(m).includes('SLOW_CONSUMER'),
        30_000,
      )) as {
        payload: { errors: { extensions: { code: string } }[] };
      };
      expect(ended.payload.errors[0]?.extensions.code).toBe('SLOW_CONSUMER');
      fine.stop();
      await healthy.dispose();
    } finally {
      await stack.close();
      await config.remove();
    }
  }, 120_000);
});

describe('subscriptions: the socket itself', () => {
  let stack: Stack;
  let config: TempConfig;
  beforeAll(async () => {
    config = await writeTempConfig(
      [
        'subscriptions:',
        '  maxConnections: 2',
        '  connectionInitTimeoutMs: 300',
        '  maxMessageBytes: 2048',
        '',
      ].join('\n'),
    );
    stack = await startStack({ configFile: config.file });
  });
  afterAll(async () => {
    await stack?.close();
    await config?.remove();
  });

  it('closes a socket that never sends connection_init (4408)', async () => {
    const socket = await rawSocket(stack.url);
    expect((await socket.closed).code).toBe(4408);
  });

  it('closes a socket that sends a message beyond maxMessageBytes (1009)', async () => {
    const socket = await rawSocket(stack.url);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenFor('u1')}` } });
    await socket.next((m) => m.type === 'connection_ack');
    socket.send({
      type: 'subscribe',
      id: 'big',
      payload: { query: `subscription { notificationAdded { id } } #${'x'.repeat(4_096)}` },
    });
    expect((await socket.closed).code).toBe(1009);
    expect(stack.services.notificationEvents.count('u1')).toBe(0);
  });

  it('answers 503 to handshakes beyond maxConnections, and serves again once one closes', async () => {
    const token = { authorization: `Bearer ${await tokenFor('u2')}` };
    const held = [await rawSocket(stack.url), await rawSocket(stack.url)];
    for (const socket of held) socket.send({ type: 'connection_init', payload: token });
    for (const socket of held) await socket.next((m) => m.type === 'connection_ack');
    await expect(rawSocket(stack.url)).rejects.toThrow(/503/);
    held[0]!.socket.close();
    await held[0]!.closed;
    const again = await until(
      () => rawSocket(stack.url).catch(() => false as const),
      5_000,
      'room for a connection',
    );
    again.socket.close();
    held[1]!.socket.close();
  });

  it('refuses WebSocket upgrades on other paths', async () => {
    await expect(
      new Promise((resolve, reject) => {
        const socket = new WebSocket(`${stack.url.replace('http', 'ws')}/elsewhere`, 'graphql-transport-ws');
        socket.once('open', resolve);
        socket.once('error', reject);
      }),
    ).rejects.toThrow(/404/);
  });
});

describe('subscriptions: SIGTERM', () => {
  it('completes every subscription (WebSocket 1001, SSE complete), closes the upstream streams and exits 0', async () => {
    const services = await startDemoServices();
    const cli = spawnCli([], gatewayEnv(services));
    try {
      const ready = await cli.logLine('switchboard is ready');
      const url = new URL(ready.url as string).origin;
      const token = `Bearer ${await tokenFor('u1')}`;
      const socket = await rawSocket(url);
      socket.send({ type: 'connection_init', payload: { authorization: token } });
      await socket.next((m) => m.type === 'connection_ack');
      socket.send({
        type: 'subscribe',
        id: 's',
        payload: { query: 'subscription { notificationAdded { id } }' },
      });
      const sse = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: token },
        body: JSON.stringify({ query: 'subscription { notificationAdded { id } }' }),
      });
      expect(sse.status).toBe(200);
      await until(() => services.notificationEvents.count('u1') === 1);
      cli.child.kill('SIGTERM');
      const [closed, text, code] = await Promise.all([socket.closed, sse.text(), cli.exited]);
      expect(closed.code).toBe(1001);
      expect(text).toMatch(/event: complete/);
      expect(code).toBe(0);
      expect(services.notificationEvents.count()).toBe(0);
      const ended = cli.stdout.split('\n').filter((line) => line.includes('"subscription ended"'));
      expect(ended).toHaveLength(2);
      for (const line of ended)
        expect(JSON.parse(line)).toMatchObject({ reason: 'shutdown', durationMs: expect.any(Number) });
    } finally {
      await cli.kill();
      await services.close();
    }
  }, 60_000);
});

describe('subscriptions: upstream connections', () => {
  it('opens more users’ streams than the service’s maxConnections, and calls still get through', async () => {
    // The URL stays a variable for the config loader to replace, as in an operator's file.
    const url = '$' + '{NOTIFICATIONS_URL}';
    const config = await writeTempConfig(
      ['upstreams:', `  notifications: { urls: ["${url}"], maxConnections: 2 }`, ''].join('\n'),
    );
    const stack = await startStack({ configFile: config.file });
    try {
      const users = ['u1', 'u2', 'u3', 'u4', 'u5'];
      const clients = await Promise.all(
        users.map(async (u) => wsClient(stack.url, { authorization: `Bearer ${await tokenFor(u)}` })),
      );
      const subs = clients.map((client) => client.subscribe());
      await until(() => stack.services.notificationEvents.count() === users.length, 10_000, 'every stream');
      const answer = await stack.graphql('{ dashboard { notifications(limit: 1) { id } unreadCount } }', {
        token: await tokenFor('u6'),
      });
      expect(answer.body.errors).toBeUndefined();
      const sent = await postNotification(stack.services, 'u5', 'still delivered');
      await subs[4]!.waitFor(1);
      expect(subs[4]!.data[0]?.id).toBe(sent.id);
      for (const sub of subs) sub.stop();
      await Promise.all(clients.map((client) => client.dispose()));
    } finally {
      await stack.close();
      await config.remove();
    }
  });
});
