// The notifications service's event stream (GET /notifications/events?userId=, server-sent
// events): each notification created for the user after the stream opened is one event; with
// Last-Event-ID the stream first replays what came after that id. Bounded: streams per user and
// in all, and a reader that stops reading is cut off rather than buffered for.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoData, DemoNotification } from './data.js';

export interface NotificationEvents {
  /** Serves one stream on `response` (the request was checked: a known user). */
  attach(request: IncomingMessage, response: ServerResponse, userId: string): void;
  /** Sends a new notification to every open stream of its user. */
  publish(notification: DemoNotification): void;
  /** Fault injection: ends every open stream at once (clients see the connection drop). */
  dropAll(): void;
  /** Open streams, in all and per user. */
  count(userId?: string): number;
  close(): void;
}

export interface NotificationEventsOptions {
  /** A `: ping` comment this often keeps idle connections open (15 s by the contract). */
  pingIntervalMs?: number;
  maxStreamsPerUser?: number;
  maxStreams?: number;
  /** A stream whose unsent bytes exceed this is ended: its reader stopped reading. */
  maxBufferedBytes?: number;
}

/** Creates the streams of one data set (shared by the service's servers). */
export function createNotificationEvents(
  data: DemoData,
  options: NotificationEventsOptions = {},
): NotificationEvents {
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const maxPerUser = options.maxStreamsPerUser ?? 50;
  const maxStreams = options.maxStreams ?? 20_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const streams = new Map<string, Set<ServerResponse>>();
  let total = 0;

  const send = (response: ServerResponse, text: string) => {
    if (response.writableEnded || response.destroyed) return;
    response.write(text);
    if (response.writableLength > maxBuffered) response.destroy();
  };
  const event = (notification: DemoNotification) =>
    `id: ${notification.id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`;
  const pings = setInterval(() => {
    for (const set of streams.values()) for (const response of set) send(response, ': ping\n\n');
  }, pingIntervalMs);
  pings.unref();

  return {
    attach(request, response, userId) {
      const mine = streams.get(userId) ?? new Set<ServerResponse>();
      if (mine.size >= maxPerUser || total >= maxStreams) {
        response
          .writeHead(429, { 'content-type': 'application/json' })
          .end('{"error":"too many event streams"}');
        return;
      }
      streams.set(userId, mine);
      mine.add(response);
      total += 1;
      response.once('close', () => {
        mine.delete(response);
        total -= 1;
        if (mine.size === 0) streams.delete(userId);
      });
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.flushHeaders();
      const lastId = request.headers['last-event-id'];
      if (typeof lastId !== 'string' || lastId === '') return;
      // Newest first in the data: everything before the last one seen, replayed oldest first.
      const all = data.notificationsByUser.get(userId) ?? [];
      const seen = all.findIndex((n) => n.id === lastId);
      const missed = seen < 0 ? [] : all.slice(0, seen).reverse();
      for (const notification of missed) send(response, event(notification));
    },
    publish(notification) {
      for (const response of streams.get(notification.userId) ?? []) send(response, event(notification));
    },
    dropAll() {
      for (const set of streams.values()) for (const response of set) response.destroy();
    },
    count: (userId) => (userId === undefined ? total : (streams.get(userId)?.size ?? 0)),
    close() {
      clearInterval(pings);
      for (const set of streams.values()) for (const response of set) response.destroy();
    },
  };
}
