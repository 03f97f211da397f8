// Subscription clients as frontends use them: graphql-ws over a real WebSocket, graphql-sse over
// a real HTTP stream, and a raw graphql-transport-ws socket for what the libraries hide (pings
// with a payload, close codes).
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { DemoServices } from '../../src/demo/services.js';

export const notificationSubscription = 'subscription { notificationAdded { id kind message } }';

export interface Received {
  readonly data: { id: string; kind: string; message: string }[];
  readonly errors: { message: string; extensions?: Record<string, unknown> }[];
  /** Resolves once the subscription has ended (completed or failed). */
  readonly ended: Promise<void>;
  /** Resolves when `count` notifications have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

type Result = { data?: { notificationAdded?: Received['data'][number] } | null; errors?: Received['errors'] };

/** Reads an iterator of results in the background. */
function collect(iterator: AsyncIterableIterator<Result>): Received {
  const data: Received['data'][number][] = [];
  const errors: Received['errors'][number][] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    try {
      for await (const result of iterator) {
        if (result.data?.notificationAdded) data.push(result.data.notificationAdded);
        if (result.errors) errors.push(...result.errors);
        for (const wake of waiters) wake();
      }
    } catch (error) {
      // graphql-ws throws the errors of an error message, or the CloseEvent.
      const list = Array.isArray(error) ? error : [error as { message: string }];
      errors.push(...(list as Received['errors']));
    }
    for (const wake of waiters) wake();
  })();
  return {
    data,
    errors,
    ended,
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (data.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`waited for ${count} notifications, got ${data.length}: ${JSON.stringify(errors)}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => void iterator.return?.(),
  };
}

/** A graphql-ws client on `gatewayUrl`/graphql; the token goes in connection_init. */
export function wsClient(gatewayUrl: string, connectionParams: Record<string, string>) {
  const closes: { code: number; reason: string }[] = [];
  const client = createWsClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => closes.push(event as { code: number; reason: string }) },
  });
  return {
    closes,
    subscribe: (query = notificationSubscription) =>
      collect(client.iterate({ query }) as AsyncIterableIterator<Result>),
    dispose: () => client.dispose(),
  };
}

/** A graphql-sse client (distinct connections: one HTTP stream per subscription). */
export function sseClient(gatewayUrl: string, headers: Record<string, string>) {
  const client = createSseClient({ url: `${gatewayUrl}/graphql`, headers, retryAttempts: 0 });
  return {
    subscribe: (query = notificationSubscription) =>
      collect(client.iterate({ query }) as AsyncIterableIterator<Result>),
    dispose: () => client.dispose(),
  };
}

/** A bare graphql-transport-ws socket: every message the server sends, and its close. */
export async function rawSocket(gatewayUrl: string) {
  const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Record<string, unknown>[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on('message', (raw) => messages.push(JSON.parse(raw.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    send: (message: Record<string, unknown>) => socket.send(JSON.stringify(message)),
    /** Resolves with the first message matching `predicate` (already received or to come). */
    next(predicate: (message: Record<string, unknown>) => boolean, timeoutMs = 10_000) {
      return until(() => messages.find(predicate), timeoutMs, 'a WebSocket message');
    },
  };
}

/** Creates a notification the way the orders service does: POST /notifications. */
export async function postNotification(
  services: DemoServices,
  userId: string,
  message: string,
  kind: 'ORDER' | 'PROMO' | 'SYSTEM' = 'SYSTEM',
): Promise<{ id: string }> {
  const response = await fetch(`${services.urls.notifications}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, kind, message }),
  });
  if (response.status !== 201) throw new Error(`POST /notifications answered ${response.status}`);
  return (await response.json()) as { id: string };
}

/** Polls `probe` until it returns something other than undefined/false. */
export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = 'a condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
