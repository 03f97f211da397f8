import DataLoader from 'dataloader';
import type { RecordGuard } from '../services/contract.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, expectRecords, groupBy, isListableId, newestFirst, observedBatch } from './batch.js';

/** Records of one user, at most `limit`, newest first, under a filter the endpoint takes. */
export interface PerUserKey {
  userId: string;
  limit: number;
}

export interface PerUserEndpoint<K extends PerUserKey> {
  service: string;
  /** e.g. `/orders`: takes `userIds` (comma-separated, ≤ 100) and `limit` (per user). */
  path: string;
  isRecord: RecordGuard<{ userId: string; createdAt: string }>;
  /** The endpoint's other query parameters a key asks for (e.g. `unreadOnly`); keys with equal filters share calls. */
  filterOf?(key: K): Record<string, string>;
}

/**
 * A loader for "newest records of several users" endpoints (`GET /orders?userIds=&limit=`,
 * `GET /notifications?userIds=&unreadOnly=&limit=`): they answer "at most `limit` per user, newest
 * first", so one call per filter, with the largest limit asked in the tick, serves every key of
 * that filter, each taking its own prefix. A dashboard asking for notifications and unreadCount
 * thus costs two calls (unreadOnly false and true), whatever the number of users.
 */
export function createPerUserLoader<K extends PerUserKey, T extends { userId: string; createdAt: string }>(
  client: UpstreamClient,
  ctx: CallContext,
  endpoint: PerUserEndpoint<K>,
): DataLoader<K, T[], string> {
  const filterOf = endpoint.filterOf ?? (() => ({}));
  return new DataLoader<K, T[], string>(
    observedBatch(ctx, endpoint.service, async (keys, call) => {
      const groups = groupBy(keys, (k) => JSON.stringify(filterOf(k)));
      const byFilter = new Map<string, Map<string, T[]>>();
      await Promise.all(
        [...groups].map(async ([filter, mine]) => {
          const limit = String(Math.max(...mine.map((k) => k.limit)));
          const userIds = [...new Set(mine.map((k) => k.userId).filter(isListableId))];
          const answers = await Promise.all(
            chunk(userIds).map(async (part) => {
              const query = { userIds: part.join(','), ...filterOf(mine[0]!), limit };
              const value = await client.call(
                endpoint.service,
                { method: 'GET', path: endpoint.path, query },
                call,
              );
              return expectRecords(endpoint.service, value, endpoint.isRecord) as T[];
            }),
          );
          const byUser = groupBy(answers.flat(), (record) => record.userId);
          for (const list of byUser.values()) newestFirst(list);
          byFilter.set(filter, byUser);
        }),
      );
      return keys.map((k) =>
        (byFilter.get(JSON.stringify(filterOf(k)))?.get(k.userId) ?? []).slice(0, k.limit),
      );
    }),
    { cacheKeyFn: (k) => JSON.stringify([k.userId, k.limit, filterOf(k)]) },
  );
}
