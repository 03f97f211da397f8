import DataLoader from 'dataloader';
import type { RecordGuard } from '../services/contract.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, expectRecords, isListableId, observedBatch } from './batch.js';

/**
 * A loader for a batch look-up endpoint (`GET /users?ids=`, `GET /products?ids=`): all keys
 * asked in one tick become calls of at most 100 ids, made in parallel; results are matched by
 * id (services don't keep order) and unknown ids resolve to null. The calls are marked as entity
 * look-ups, so the entity cache may answer some ids and ask only for the rest.
 */
export function createByIdLoader<T extends { id: string }>(
  client: UpstreamClient,
  ctx: CallContext,
  service: string,
  path: string,
  isRecord: RecordGuard<T>,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    observedBatch(ctx, service, async (ids, call) => {
      const answers = await Promise.all(
        chunk(ids.filter(isListableId)).map(async (part) =>
          expectRecords(
            service,
            await client.call(
              service,
              { method: 'GET', path, query: { ids: part.join(',') }, entities: { param: 'ids', key: 'id' } },
              call,
            ),
            isRecord,
          ),
        ),
      );
      const byId = new Map<string, T>();
      for (const records of answers) for (const record of records) byId.set(record.id, record);
      return ids.map((id) => byId.get(id) ?? null);
    }),
    // Keys of one batch level arrive from several calls (order items, recommendations): the
    // batch waits until the request's calls in flight are answered, then asks once.
    ctx.observer?.settled ? { batchScheduleFn: (dispatch) => ctx.observer!.settled!(dispatch) } : undefined,
  );
}
