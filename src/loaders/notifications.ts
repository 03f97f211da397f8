import DataLoader from 'dataloader';
import { tracedBatch } from '../observability/tracing.js';
import type { NotificationModel } from '../resolvers/models.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, expectRecords, groupBy, newestFirst } from './batch.js';
import { isNotificationRecord } from './contract.js';

/** Notifications of one user, at most `limit`, newest first, optionally unread only. */
export interface NotificationsKey {
  userId: string;
  unreadOnly: boolean;
  limit: number;
}

/**
 * One call per `unreadOnly` value in a tick, with the largest limit asked for it; each key takes
 * its own prefix. A dashboard asking for notifications and unreadCount thus costs at most two calls.
 */
export function createNotificationsLoader(
  client: UpstreamClient,
  ctx: CallContext,
): DataLoader<NotificationsKey, NotificationModel[], string> {
  return new DataLoader<NotificationsKey, NotificationModel[], string>(
    tracedBatch(ctx, 'notifications', async (keys, call) => {
      const groups = await Promise.all(
        [false, true].map(async (unreadOnly) => {
          const mine = keys.filter((k) => k.unreadOnly === unreadOnly);
          if (mine.length === 0) return new Map<string, NotificationModel[]>();
          const limit = Math.max(...mine.map((k) => k.limit));
          const userIds = [...new Set(mine.map((k) => k.userId))];
          const answers = await Promise.all(
            chunk(userIds).map(async (part) =>
              expectRecords(
                'notifications',
                await client.call(
                  'notifications',
                  {
                    method: 'GET',
                    path: '/notifications',
                    query: { userIds: part.join(','), unreadOnly: String(unreadOnly), limit: String(limit) },
                  },
                  call,
                ),
                isNotificationRecord,
              ),
            ),
          );
          const byUser = groupBy(answers.flat(), (n) => n.userId);
          for (const list of byUser.values()) newestFirst(list);
          return byUser;
        }),
      );
      return keys.map((k) => (groups[k.unreadOnly ? 1 : 0]!.get(k.userId) ?? []).slice(0, k.limit));
    }),
    { cacheKeyFn: (k) => `${k.userId}\u0000${k.unreadOnly}\u0000${k.limit}` },
  );
}
