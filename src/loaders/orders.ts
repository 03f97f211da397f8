import DataLoader from 'dataloader';
import { tracedBatch } from '../observability/tracing.js';
import type { OrderModel } from '../resolvers/models.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, expectRecords, groupBy, newestFirst } from './batch.js';
import { isOrderRecord } from './contract.js';

/** Orders of one user, at most `limit`, newest first. */
export interface OrdersKey {
  userId: string;
  limit: number;
}

/**
 * `GET /orders?userIds=&limit=` is "at most `limit` per user, newest first", so one call with
 * the largest limit asked in this tick serves every key: each key takes its own prefix.
 */
export function createOrdersLoader(
  client: UpstreamClient,
  ctx: CallContext,
): DataLoader<OrdersKey, OrderModel[], string> {
  return new DataLoader<OrdersKey, OrderModel[], string>(
    tracedBatch(ctx, 'orders', async (keys, call) => {
      const limit = Math.max(...keys.map((k) => k.limit));
      const userIds = [...new Set(keys.map((k) => k.userId))];
      const answers = await Promise.all(
        chunk(userIds).map(async (part) =>
          expectRecords(
            'orders',
            await client.call(
              'orders',
              { method: 'GET', path: '/orders', query: { userIds: part.join(','), limit: String(limit) } },
              call,
            ),
            isOrderRecord,
          ),
        ),
      );
      const byUser = groupBy(answers.flat(), (order) => order.userId);
      for (const orders of byUser.values()) newestFirst(orders);
      return keys.map((k) => (byUser.get(k.userId) ?? []).slice(0, k.limit));
    }),
    { cacheKeyFn: (k) => `${k.userId}\u0000${k.limit}` },
  );
}
