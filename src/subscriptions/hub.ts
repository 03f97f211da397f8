import type { NotificationModel } from '../services/models.js';
import type { UpstreamClient } from '../upstream/client.js';
import { createEventQueue, type EventQueue } from './event-queue.js';
import { openUserStream, type UserStream } from './user-stream.js';

/** What a subscriber's iterator yields: a notification, or the reason it ends. */
export type SubscriptionEvent =
  | { notification: NotificationModel }
  | { end: 'slow_consumer' | 'unauthenticated'; message: string };

/** A subscriber's view of the hub: its events, and a way to end them with a reason. */
export interface Subscriber {
  readonly events: AsyncIterableIterator<SubscriptionEvent>;
  end(event?: Extract<SubscriptionEvent, { end: string }>): void;
}

/** The notification streams of this instance, one per user, shared by that user's subscriptions. */
export interface NotificationHub {
  subscribe(userId: string): Subscriber;
  /** Users with a stream open now (tests, metrics). */
  openStreams(): number;
  /** Completes every subscription and closes every stream (the instance is shutting down). */
  close(): void;
}

export interface HubOptions {
  upstream: UpstreamClient;
  /** Events waiting per subscription before its consumer is cut off (`subscriptions.maxQueuedEvents`). */
  maxQueuedEvents: number;
  onDelivered?(): void;
  onSlowConsumer?(): void;
  onReconnect?(userId: string, attempt: number, error?: unknown): void;
}

/**
 * At most one upstream stream per user per instance: the first subscription of a user opens it,
 * every subscription of that user shares it, the last one to end closes it. Each subscription
 * has a bounded queue of its own: a slow consumer is cut off alone, and never slows the others.
 */
export function createNotificationHub(options: HubOptions): NotificationHub {
  const users = new Map<string, { stream: UserStream; queues: Set<EventQueue<SubscriptionEvent>> }>();
  const leave = (userId: string, queue: EventQueue<SubscriptionEvent>) => {
    const user = users.get(userId);
    if (!user?.queues.delete(queue) || user.queues.size > 0) return;
    users.delete(userId);
    user.stream.close();
  };
  return {
    subscribe(userId) {
      const queue: EventQueue<SubscriptionEvent> = createEventQueue<SubscriptionEvent>({
        max: options.maxQueuedEvents,
        onOverflow: () => {
          options.onSlowConsumer?.();
          return {
            end: 'slow_consumer',
            message: `the subscription fell more than ${options.maxQueuedEvents} events behind and was ended`,
          };
        },
        onClose: () => leave(userId, queue),
      });
      let user = users.get(userId);
      if (!user) {
        const queues = new Set<EventQueue<SubscriptionEvent>>();
        const stream = openUserStream({
          upstream: options.upstream,
          userId,
          onNotification(notification) {
            for (const each of queues) {
              each.push({ notification });
              options.onDelivered?.();
            }
          },
          onReconnect: (attempt, error) => options.onReconnect?.(userId, attempt, error),
        });
        user = { stream, queues };
        users.set(userId, user);
      }
      user.queues.add(queue);
      return { events: queue.iterator, end: (event) => queue.end(event) };
    },
    openStreams: () => users.size,
    close() {
      for (const user of [...users.values()]) {
        for (const queue of [...user.queues]) queue.end();
      }
    },
  };
}
