import { type GraphQLResolveInfo, responsePathAsArray } from 'graphql';

/** A field answered from the stale-if-error cache: reported in `extensions.degraded`. */
export interface DegradedField {
  path: (string | number)[];
  service: string;
  ageSeconds: number;
}

/** Per request: which upstream records came from the stale cache, and which fields used them. */
export interface DegradedTracker {
  /** The upstream client's `onStale`: marks every record of a stale answer. */
  markStale(service: string, value: unknown, ageSeconds: number): void;
  /**
   * For a resolver that computes its answer from records (a count, a sum) rather than returning
   * them: reports its field when they were stale, which the plugin cannot see in a number.
   */
  noteDerived(path: GraphQLResolveInfo['path'], records: unknown): void;
  fields: DegradedField[];
  /**
   * The stale origin of a resolved value (a record, or a list of records: any stale one makes
   * the list stale, and its age is the oldest record's).
   */
  originOf(value: unknown): { service: string; ageSeconds: number } | undefined;
}

/** Creates the tracker for one request. */
export function createDegradedTracker(): DegradedTracker {
  // Loaders hand out the very record objects the service answered with (lists are new arrays
  // of them), so marking the records is enough to recognise them at any field.
  const origins = new WeakMap<object, { service: string; ageSeconds: number }>();
  const fields: DegradedField[] = [];
  const tracker: DegradedTracker = {
    fields,
    markStale(service, value, ageSeconds) {
      const origin = { service, ageSeconds };
      const records = Array.isArray(value) ? value : [value];
      for (const record of records)
        if (record !== null && typeof record === 'object') origins.set(record, origin);
    },
    originOf(value) {
      // Not just the first element: `products(ids: ["gone", "p1"])` starts with a null, and a
      // list may mix fresh and stale records when its keys took several calls.
      let oldest: { service: string; ageSeconds: number } | undefined;
      for (const item of Array.isArray(value) ? value : [value]) {
        const origin = item !== null && typeof item === 'object' ? origins.get(item) : undefined;
        if (origin && (!oldest || origin.ageSeconds > oldest.ageSeconds)) oldest = origin;
      }
      return oldest;
    },
    noteDerived(path, records) {
      const origin = tracker.originOf(records);
      if (origin) fields.push({ path: responsePathAsArray(path) as (string | number)[], ...origin });
    },
  };
  return tracker;
}
