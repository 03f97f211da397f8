import { getDirective } from '@graphql-tools/utils';
import { type GraphQLSchema, isInterfaceType, isObjectType } from 'graphql';

/** SDL for the cost directives (the `@cost` / `@listSize` convention of the GraphQL cost spec). */
export const costDirectivesSdl = /* GraphQL */ `
"Cost of resolving this field, in the gateway's cost model (default 1 for objects, 0 for scalars)."
directive @cost(weight: Int!) on FIELD_DEFINITION

"How many items this list field returns: the value of the first slicing argument given (an integer, or a list's length), else assumedSize."
directive @listSize(assumedSize: Int, slicingArguments: [String!]) on FIELD_DEFINITION
`;

/** A `@cacheControl(maxAge, scope, inheritMaxAge)` hint (Apollo's convention). */
export interface CacheHint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
}

/**
 * What the analysis reads from the schema's directives, gathered once per variant at start-up:
 * `@cost` weights, `@listSize` sizes, `@cacheControl` hints of fields and of types, and the
 * `@rateLimit` of root mutation fields (a mutation's limits are checked before it runs).
 */
export interface SchemaFacts {
  weightOf(typeName: string, fieldName: string): number | undefined;
  listSizeOf(
    typeName: string,
    fieldName: string,
  ): { assumedSize?: number; slicingArguments: string[] } | undefined;
  fieldHint(typeName: string, fieldName: string): CacheHint | undefined;
  typeHint(typeName: string): CacheHint | undefined;
}

/** Reads the schema's directives once. */
export function createSchemaFacts(schema: GraphQLSchema): SchemaFacts {
  const weights = new Map<string, number>();
  const sizes = new Map<string, { assumedSize?: number; slicingArguments: string[] }>();
  const fieldHints = new Map<string, CacheHint>();
  const typeHints = new Map<string, CacheHint>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const typeHint = getDirective(schema, type, 'cacheControl')?.[0] as CacheHint | undefined;
    if (typeHint) typeHints.set(type.name, typeHint);
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      const cost = getDirective(schema, field, 'cost')?.[0];
      if (cost) weights.set(key, cost.weight as number);
      // A @rest field is an upstream call whatever it returns: a scalar one costs like an object.
      else if (getDirective(schema, field, 'rest')?.[0]) weights.set(key, 1);
      const listSize = getDirective(schema, field, 'listSize')?.[0];
      if (listSize) {
        sizes.set(key, {
          assumedSize: listSize.assumedSize as number | undefined,
          slicingArguments: (listSize.slicingArguments as string[] | undefined) ?? [],
        });
      }
      const hint = getDirective(schema, field, 'cacheControl')?.[0] as CacheHint | undefined;
      if (hint) fieldHints.set(key, hint);
    }
  }
  return {
    weightOf: (typeName, fieldName) => weights.get(`${typeName}.${fieldName}`),
    listSizeOf: (typeName, fieldName) => sizes.get(`${typeName}.${fieldName}`),
    fieldHint: (typeName, fieldName) => fieldHints.get(`${typeName}.${fieldName}`),
    typeHint: (typeName) => typeHints.get(typeName),
  };
}
