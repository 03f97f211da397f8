import type { DemoNotification, DemoOrder } from './data.js';
import { HttpError } from './request-input.js';
import type { DemoReply, DemoStore, RouteRequest } from './routes.js';
import { formatTimestamp } from './seeded.js';

const kinds = ['ORDER', 'PROMO', 'SYSTEM'] as const;
const maxMessageLength = 1_000;

/** POST /notifications: creates a notification for a user and publishes it on that user's event streams. */
export function createNotification({ body }: RouteRequest, store: DemoStore): DemoReply {
  const { data } = store;
  const fields = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<
    string,
    unknown
  >;
  const { userId, kind, message } = fields;
  if (typeof userId !== 'string' || !data.users.has(userId))
    throw new HttpError(400, 'userId must name a known user');
  if (typeof kind !== 'string' || !(kinds as readonly string[]).includes(kind)) {
    throw new HttpError(400, `kind must be one of ${kinds.join(', ')}`);
  }
  if (typeof message !== 'string' || message.length === 0 || message.length > maxMessageLength) {
    throw new HttpError(400, `message must be 1 to ${maxMessageLength} characters`);
  }
  const history = data.notificationsByUser.get(userId) ?? [];
  const newest = history[0] ? Date.parse(history[0].createdAt) / 1000 : 0;
  const notification: DemoNotification = {
    id: `n${store.nextNotificationNumber++}`,
    userId,
    kind: kind as DemoNotification['kind'],
    message,
    read: false,
    // Never older than the user's newest, so newest-first stays true.
    createdAt: formatTimestamp(Math.max(Math.floor(Date.now() / 1000), newest + 1)),
  };
  data.notifications.set(notification.id, notification);
  history.unshift(notification);
  data.notificationsByUser.set(userId, history);
  store.events.publish(notification);
  return { status: 201, body: notification };
}

/**
 * What the orders service does after placing an order: tells the notifications service over
 * HTTP (fire and forget, bounded by a timeout: a slow notifications service never fails an order).
 */
export function orderNotifier(notificationsUrl: string): (order: DemoOrder) => void {
  return (order) => {
    void fetch(`${notificationsUrl}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: order.userId, kind: 'ORDER', message: `Order ${order.id} was placed.` }),
      signal: AbortSignal.timeout(2_000),
    })
      .then((response) => response.body?.cancel())
      .catch(() => {});
  };
}
