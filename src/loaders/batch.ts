import { ErrorCode } from '../errors.js';
import type { RecordGuard } from '../services/contract.js';
import { upstreamFailure } from '../upstream/errors.js';
import type { CallContext } from '../upstream/types.js';

/** The services' batch endpoints take at most this many ids per call (docs/upstreams.openapi.yaml). */
export const maxIdsPerCall = 100;

/**
 * Whether a value can travel as ONE id in a comma-separated list: an id holding a comma would
 * become several ids upstream (a JWT `sub` of "u2,u1" would fetch u1's records), and one id of
 * 100 commas would cost 100 records. Such an id names nothing: its key resolves to null (or an
 * empty list) without a call.
 */
export function isListableId(id: string): boolean {
  return id.length > 0 && !id.includes(',');
}

/** Splits ids into chunks the services accept. */
export function chunk<T>(items: readonly T[], size = maxIdsPerCall): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * A DataLoader batch function that runs as one unit of the request's observation: when the
 * request is traced, each batch is one `load <service>` span and its calls hang under it.
 */
export function observedBatch<K, V>(
  ctx: CallContext,
  service: string,
  batch: (keys: readonly K[], call: CallContext) => Promise<V[]>,
): (keys: readonly K[]) => Promise<V[]> {
  return async (keys) => {
    const watch = ctx.observer?.batch?.(service, keys.length);
    if (!watch) return batch(keys, ctx);
    try {
      const values = await batch(keys, { ...ctx, observer: watch.observer });
      watch.end();
      return values;
    } catch (error) {
      watch.end(error);
      throw error;
    }
  };
}

/**
 * Checks that a batch answer is an array of records of the contract's shape (`isRecord`, see
 * services/contract.ts): anything else is not the contract's JSON and fails the call as
 * UPSTREAM_ERROR instead of reaching resolvers.
 */
export function expectRecords<T>(service: string, value: unknown, isRecord: RecordGuard<T>): T[] {
  if (Array.isArray(value) && value.every(isRecord)) return value;
  throw upstreamFailure(
    service,
    ErrorCode.UPSTREAM_ERROR,
    `${service} answered with a body that does not match its contract`,
    'error',
  );
}

/** Checks a single-record answer the same way. */
export function expectRecord<T>(service: string, value: unknown, isRecord: RecordGuard<T>): T {
  return expectRecords<T>(service, [value], isRecord)[0]!;
}

/** Groups records by a string field, keeping each group in the order given. */
export function groupBy<T>(records: readonly T[], key: (record: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const record of records) {
    const k = key(record);
    const group = groups.get(k);
    if (group) group.push(record);
    else groups.set(k, [record]);
  }
  return groups;
}

/** Newest first by RFC 3339 `createdAt`: services promise it, but batch order is not guaranteed. */
export function newestFirst<T extends { createdAt: string }>(records: T[]): T[] {
  return records.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}
