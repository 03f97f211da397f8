import { ErrorCode } from '../errors.js';
import { upstreamFailure } from '../upstream/errors.js';
import type { RecordGuard } from './contract.js';

/** The services' batch endpoints take at most this many ids per call (upstreams.openapi.yaml). */
export const maxIdsPerCall = 100;

/** Splits ids into chunks the services accept. */
export function chunk<T>(items: readonly T[], size = maxIdsPerCall): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Checks that a batch answer is an array of records of the contract's shape (`isRecord`, see
 * contract.ts): anything else is not the contract's JSON and fails the call as UPSTREAM_ERROR
 * instead of reaching resolvers.
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
