import DataLoader from 'dataloader';
import { tracedBatch } from '../observability/tracing.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { chunk, expectRecords } from './batch.js';
import type { RecordGuard } from './contract.js';

/**
 * A loader for a batch look-up endpoint (`GET /users?ids=`, `GET /products?ids=`): all keys
 * asked in one tick become calls of at most 100 ids, made in parallel; results are matched by
 * id (services don't keep order) and unknown ids resolve to null. Each batch is one span when traced.
 */
export function createByIdLoader<T extends { id: string }>(
  client: UpstreamClient,
  ctx: CallContext,
  service: string,
  path: string,
  isRecord: RecordGuard<T>,
): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(
    tracedBatch(ctx, service, async (ids, call) => {
      const answers = await Promise.all(
        chunk(ids).map(async (part) =>
          expectRecords(
            service,
            await client.call(service, { method: 'GET', path, query: { ids: part.join(',') } }, call),
            isRecord,
          ),
        ),
      );
      const byId = new Map<string, T>();
      for (const records of answers) for (const record of records) byId.set(record.id, record);
      return ids.map((id) => byId.get(id) ?? null);
    }),
  );
}
