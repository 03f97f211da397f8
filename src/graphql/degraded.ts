import type { ApolloServerPlugin } from '@apollo/server';
import { responsePathAsArray } from 'graphql';
import type { GraphQLContext } from './context.js';

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
  fields: DegradedField[];
  /** The stale origin of a resolved value (a record, or a list of records). */
  originOf(value: unknown): { service: string; ageSeconds: number } | undefined;
}

/** Creates the tracker for one request. */
export function createDegradedTracker(): DegradedTracker {
  // Loaders hand out the very record objects the service answered with (lists are new arrays
  // of them), so marking the records is enough to recognise them at any field.
  const origins = new WeakMap<object, { service: string; ageSeconds: number }>();
  return {
    fields: [],
    markStale(service, value, ageSeconds) {
      const origin = { service, ageSeconds };
      const records = Array.isArray(value) ? value : [value];
      for (const record of records)
        if (record !== null && typeof record === 'object') origins.set(record, origin);
    },
    originOf(value) {
      const probe = Array.isArray(value) ? value[0] : value;
      return probe !== null && typeof probe === 'object' ? origins.get(probe) : undefined;
    },
  };
}

/**
 * Adds `extensions.degraded: [{ path, service, ageSeconds }]` to responses that used stale
 * answers. Installed only when some service has `staleIfErrorSeconds` > 0: a per-field hook
 * costs every request, so gateways that don't use the feature don't pay for it.
 */
export function degradedPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart() {
          return {
            willResolveField({ info, contextValue }) {
              const tracker = contextValue.degraded;
              if (!tracker) return;
              return (_error, result) => {
                const origin = tracker.originOf(result);
                if (origin)
                  tracker.fields.push({
                    path: responsePathAsArray(info.path) as (string | number)[],
                    ...origin,
                  });
              };
            },
          };
        },
        async willSendResponse({ response, contextValue }) {
          const fields = contextValue.degraded?.fields;
          if (!fields?.length || response.body.kind !== 'single') return;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            degraded: fields,
          };
        },
      };
    },
  };
}
