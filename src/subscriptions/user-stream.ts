import { randomUUID } from 'node:crypto';
import { createParser } from 'eventsource-parser';
import { isNotificationRecord } from '../services/contract.js';
import type { NotificationModel } from '../services/models.js';
import type { UpstreamClient } from '../upstream/client.js';

/** One user's notifications stream from the notifications service, kept open until closed. */
export interface UserStream {
  close(): void;
}

export interface UserStreamOptions {
  upstream: UpstreamClient;
  userId: string;
  onNotification(notification: NotificationModel): void;
  /** A reconnection after the stream dropped or could not be opened (metrics, logs). */
  onReconnect?(attempt: number, error?: unknown): void;
}

// Reconnection backoff: 250 ms doubling up to 10 s, ±50% jitter (so every gateway instance does
// not come back at the same instant after an outage of the service).
const firstBackoffMs = 250;
const maxBackoffMs = 10_000;
// Time to get the stream's headers; the stream itself has no deadline.
const openTimeoutMs = 5_000;
// A stream that stayed up this long counts as healthy again: the next drop starts the backoff over.
const healthyAfterMs = 10_000;

/**
 * `GET /notifications/events?userId=` read with undici through the upstream client (so the
 * notifications service's breaker, replicas, metrics and logs apply to it as to any call),
 * parsed with eventsource-parser. When it drops, it is opened again with jittered backoff and
 * `Last-Event-ID`: the service replays what came after the last event delivered, so nothing is
 * lost or delivered twice. Events for another user than asked (a service bug) are dropped.
 */
export function openUserStream(options: UserStreamOptions): UserStream {
  const { upstream, userId } = options;
  let closed = false;
  let lastEventId: string | undefined;
  let attempt = 0;
  let current: { abort: AbortController; destroy(): void } | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const context = (abort: AbortController) => ({
    requestId: `stream-${randomUUID()}`,
    clientName: 'switchboard',
    userId,
    userRole: 'USER',
    deadline: performance.now() + openTimeoutMs,
    signal: abort.signal,
  });

  const connect = async () => {
    if (closed) return;
    const abort = new AbortController();
    // Before the first event there is no id to resume from, so a drop then would lose what was
    // created during the gap. The user's newest notification (when it has one) is the baseline:
    // the stream starts right after it, and every reconnection has an id to send.
    lastEventId ??= await newestNotificationId(abort);
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    let openedAt = 0;
    try {
      const answer = await upstream.open(
        'notifications',
        {
          method: 'GET',
          path: '/notifications/events',
          query: { userId },
          headers,
          timeoutMs: openTimeoutMs,
          longLived: true,
        },
        context(abort),
      );
      const body = answer.body!;
      current = { abort, destroy: () => body.destroy() };
      if (closed) {
        body.destroy();
        return;
      }
      openedAt = performance.now();
      const parser = createParser({
        onEvent(event) {
          if (event.event !== 'notification') return;
          let notification: unknown;
          try {
            notification = JSON.parse(event.data);
          } catch {
            return; // not the contract's JSON: nothing to deliver
          }
          if (!isNotificationRecord(notification) || notification.userId !== userId) return;
          if (event.id !== undefined) lastEventId = event.id;
          options.onNotification(notification);
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of body) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      throw new Error('the event stream ended');
    } catch (error) {
      if (closed) return;
      if (openedAt > 0 && performance.now() - openedAt > healthyAfterMs) attempt = 0;
      attempt += 1;
      options.onReconnect?.(attempt, error);
      const delay = Math.min(maxBackoffMs, firstBackoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random());
      retryTimer = setTimeout(() => void connect(), delay);
      retryTimer.unref();
    }
  };
  /** The id of the user's newest notification; undefined when it has none or the call failed. */
  const newestNotificationId = async (abort: AbortController): Promise<string | undefined> => {
    try {
      const list = await upstream.call<unknown[]>(
        'notifications',
        {
          method: 'GET',
          path: '/notifications',
          query: { userIds: userId, limit: '1' },
          timeoutMs: openTimeoutMs,
        },
        context(abort),
      );
      const newest = Array.isArray(list) ? list.find(isNotificationRecord) : undefined;
      return newest?.userId === userId ? newest.id : undefined;
    } catch {
      return undefined; // the stream itself will fail and be retried, with this call before it
    }
  };

  void connect();
  return {
    close() {
      closed = true;
      clearTimeout(retryTimer);
      current?.abort.abort();
      current?.destroy();
    },
  };
}
