import DataLoader from 'dataloader';
import { ErrorCode } from '../errors.js';
import type { UpstreamClient } from '../upstream/client.js';
import { upstreamFailure } from '../upstream/errors.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, isListableId, observedBatch } from './batch.js';

/** The products recommended for one user, at most `limit`, best first. */
export interface RecommendationsKey {
  userId: string;
  limit: number;
}

/** The gRPC method the loader calls (recommendations.proto). */
export const forUsersPath = '/switchboard.recommendations.v1.Recommendations/ForUsers';

interface ForUsersResponse {
  results?: { user_id?: unknown; product_ids?: unknown }[];
}

/**
 * `Recommendations.ForUsers` once per limit asked in a tick, for every user asked (at most 100
 * per call, as the service allows): never one RPC per user. Answers each key with its product
 * ids; an unknown user gets an empty list. Without the service configured, every key fails as
 * UPSTREAM_UNAVAILABLE (the gateway starts without it).
 */
export function createRecommendationsLoader(
  client: UpstreamClient,
  ctx: CallContext,
): DataLoader<RecommendationsKey, string[], string> {
  return new DataLoader<RecommendationsKey, string[], string>(
    observedBatch(ctx, 'recommendations', async (keys, call) => {
      if (!client.has('recommendations')) {
        throw upstreamFailure(
          'recommendations',
          ErrorCode.UPSTREAM_UNAVAILABLE,
          'recommendations is not configured',
          'unavailable',
        );
      }
      const byLimit = new Map<number, Map<string, string[]>>();
      for (const limit of new Set(keys.map((k) => k.limit))) {
        const userIds = [...new Set(keys.filter((k) => k.limit === limit).map((k) => k.userId))];
        const found = new Map<string, string[]>();
        await Promise.all(
          chunk(userIds.filter(isListableId)).map(async (part) => {
            const answer = await client.call<ForUsersResponse>(
              'recommendations',
              {
                method: 'POST',
                path: forUsersPath,
                route: 'ForUsers',
                body: { user_ids: part, limit },
                idempotent: true,
                batchSize: part.length,
              },
              call,
            );
            for (const result of checked(answer)) found.set(result.userId, result.productIds);
          }),
        );
        byLimit.set(limit, found);
      }
      return keys.map((k) => (byLimit.get(k.limit)?.get(k.userId) ?? []).slice(0, k.limit));
    }),
    { cacheKeyFn: (k) => `${k.userId}\u0000${k.limit}` },
  );
}

/** The answer's results, if it has the proto's shape; anything else is not the contract's. */
function checked(answer: ForUsersResponse): { userId: string; productIds: string[] }[] {
  const results = answer?.results;
  const ok =
    Array.isArray(results) &&
    results.every(
      (r) =>
        typeof r.user_id === 'string' &&
        Array.isArray(r.product_ids) &&
        r.product_ids.every((id) => typeof id === 'string'),
    );
  if (!ok) {
    throw upstreamFailure(
      'recommendations',
      ErrorCode.UPSTREAM_ERROR,
      'recommendations answered with a message that does not match its contract',
      'error',
    );
  }
  return results!.map((r) => ({ userId: r.user_id as string, productIds: r.product_ids as string[] }));
}
