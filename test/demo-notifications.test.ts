// The demo notifications service's event stream and POST /notifications, as the upstream
// contract describes them, and the orders service posting an ORDER notification for each order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { postNotification, until, wsClient } from './helpers/subscriptions.js';

/** Reads a text/event-stream body until `done(text)` holds; aborts the request after. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  done: (text: string) => boolean,
  onOpen?: () => Promise<void>,
): Promise<{ status: number; contentType: string | null; text: string }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  let text = '';
  if (response.status === 200) {
    await onOpen?.();
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (done(text)) break;
    }
    abort.abort();
  } else text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), text };
}

describe('demo notifications service', () => {
  let services: DemoServices;
  beforeAll(async () => {
    services = await startDemoServices({ notificationEvents: { pingIntervalMs: 100 } });
  });
  afterAll(() => services?.close());

  it('streams each new notification of the user as an event with its id, and nothing of others', async () => {
    const events = `${services.urls.notifications}/notifications/events?userId=u2`;
    const stream = await readStream(
      events,
      {},
      (text) => text.includes('for u2'),
      async () => {
        await until(() => services.notificationEvents.count('u2') === 1);
        await postNotification(services, 'u3', 'for u3');
        await postNotification(services, 'u2', 'for u2');
      },
    );
    expect(stream.status).toBe(200);
    expect(stream.contentType).toBe('text/event-stream');
    const event = stream.text.split('\n\n').find((block) => block.includes('event: notification'))!;
    const lines = event.split('\n').filter((line) => !line.startsWith(':'));
    expect(lines[0]).toMatch(/^id: n\d+$/);
    expect(lines[1]).toBe('event: notification');
    const data = JSON.parse(lines[2]!.slice('data: '.length)) as Record<string, unknown>;
    expect(data).toMatchObject({
      id: lines[0]!.slice(4),
      userId: 'u2',
      kind: 'SYSTEM',
      message: 'for u2',
      read: false,
    });
    expect(stream.text).not.toContain('for u3');
    await until(() => services.notificationEvents.count('u2') === 0);
  });

  it('keeps an idle stream alive with `: ping` comments', async () => {
    const stream = await readStream(
      `${services.urls.notifications}/notifications/events?userId=u4`,
      {},
      (text) => text.includes(': ping'),
    );
    expect(stream.text).toContain(': ping\n\n');
  });

  it('replays what came after Last-Event-ID, oldest first, then goes on live', async () => {
    const seen = await postNotification(services, 'u5', 'seen');
    const missed1 = await postNotification(services, 'u5', 'missed 1');
    const missed2 = await postNotification(services, 'u5', 'missed 2');
    const stream = await readStream(
      `${services.urls.notifications}/notifications/events?userId=u5`,
      { 'last-event-id': seen.id },
      (text) => text.includes('live'),
      async () => {
        await until(() => services.notificationEvents.count('u5') === 1);
        await postNotification(services, 'u5', 'live');
      },
    );
    const ids = [...stream.text.matchAll(/^id: (\S+)$/gm)].map((match) => match[1]);
    expect(ids.slice(0, 2)).toEqual([missed1.id, missed2.id]);
    expect(ids).toHaveLength(3);
    expect(ids).not.toContain(seen.id);
  });

  it('answers 400 for a missing or unknown user, on the stream and on POST', async () => {
    for (const query of ['', '?userId=', '?userId=u999999', '?userId=%00']) {
      const response = await fetch(`${services.urls.notifications}/notifications/events${query}`);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toEqual({ error: expect.any(String) });
    }
    const bodies = [
      {},
      { userId: 'u1', kind: 'ORDER' },
      { userId: 'nobody', kind: 'ORDER', message: 'm' },
      { userId: 'u1', kind: 'SPAM', message: 'm' },
      { userId: 'u1', kind: 'ORDER', message: '' },
      { userId: 'u1', kind: 'ORDER', message: 'x'.repeat(1_001) },
      [],
    ];
    for (const body of bodies) {
      const response = await fetch(`${services.urls.notifications}/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, JSON.stringify(body).slice(0, 60)).toBe(400);
    }
  });

  it('creates a notification that the user’s list shows first (newest first), unread', async () => {
    const created = await postNotification(services, 'u6', 'newest', 'PROMO');
    const list = (await (
      await fetch(`${services.urls.notifications}/notifications?userIds=u6&limit=1`)
    ).json()) as {
      id: string;
    }[];
    expect(list.map((n) => n.id)).toEqual([created.id]);
    expect(created).toMatchObject({ userId: 'u6', kind: 'PROMO', message: 'newest', read: false });
  });
});

describe('placing an order through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('leads to an ORDER notification on the buyer’s subscription: the orders service posts it', async () => {
    const token = await tokenFor('u7');
    const client = wsClient(stack.url, { authorization: `Bearer ${token}` });
    const sub = client.subscribe();
    await until(() => stack.services.notificationEvents.count('u7') === 1);
    const placed = await stack.graphql(
      'mutation { placeOrder(input: { items: [{ productId: "p1", quantity: 1 }] }) { id } }',
      { token },
    );
    const orderId = (placed.body.data as { placeOrder: { id: string } }).placeOrder.id;
    await sub.waitFor(1);
    expect(sub.data[0]).toMatchObject({ kind: 'ORDER', message: `Order ${orderId} was placed.` });
    const posted = stack.services
      .requests('notifications', '/notifications')
      .filter((r) => r.method === 'POST');
    expect(posted.map((r) => r.body)).toEqual([
      { userId: 'u7', kind: 'ORDER', message: `Order ${orderId} was placed.` },
    ]);
    sub.stop();
    await client.dispose();
  });
});
