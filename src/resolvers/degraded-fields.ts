import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { type GraphQLFieldConfig, type GraphQLSchema, responsePathAsArray } from 'graphql';
import type { GraphQLContext } from '../context/graphql-context.js';

/**
 * Reports the fields answered from stale records (`extensions.degraded`): every field with a
 * resolver of its own (the ones that return records from loaders) checks whether its value came
 * from the stale-if-error store. Applied only when some service has `staleIfErrorSeconds`: a
 * wrapper per field costs every request, so gateways without the feature don't pay for it. A
 * wrapper of our own rather than Apollo's `willResolveField`, which rewraps every resolver of
 * the schema in place at the first request and so changes what a compiled executor runs.
 */
export function reportDegradedFields(schema: GraphQLSchema): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field) => (field.resolve ? withReport(field) : field),
  });
}

function withReport(
  field: GraphQLFieldConfig<unknown, GraphQLContext>,
): GraphQLFieldConfig<unknown, GraphQLContext> {
  const resolve = field.resolve!;
  return {
    ...field,
    resolve(parent, args, context, info) {
      const result = resolve(parent, args, context, info);
      const tracker = context.degraded;
      if (!tracker) return result;
      const note = (value: unknown) => {
        const origin = tracker.originOf(value);
        if (origin)
          tracker.fields.push({ path: responsePathAsArray(info.path) as (string | number)[], ...origin });
        return value;
      };
      return result instanceof Promise ? result.then(note) : note(result);
    },
  };
}
