import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { restResolver } from './resolver.js';
import { restSpecOf } from './spec.js';

/**
 * Gives every `@rest` field its resolver, once at start-up with mapSchema. The specs were
 * already checked when the client's extension was composed (src/clients/compose.ts), so a
 * problem here is a bug and stops the start-up.
 */
export function restDirectiveTransformer(
  schema: GraphQLSchema,
  isDeclared: (service: string) => boolean,
): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const spec = restSpecOf(schema, typeName, fieldName, fieldConfig as never);
      if (!spec) return fieldConfig;
      return { ...fieldConfig, resolve: restResolver(spec, isDeclared(spec.service)) };
    },
  });
}
