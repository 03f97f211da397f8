import { getDirective } from '@graphql-tools/utils';
import { type GraphQLSchema, isInterfaceType, isObjectType } from 'graphql';
import type { CostModel } from './analyze.js';

/** SDL for the cost directives (the `@cost` / `@listSize` convention of the GraphQL cost spec). */
export const costDirectivesSdl = /* GraphQL */ `
"Cost of resolving this field, in the gateway's cost model (default 1 for objects, 0 for scalars)."
directive @cost(weight: Int!) on FIELD_DEFINITION

"How many items this list field returns: the value of the first slicing argument given (an integer, or a list's length), else assumedSize."
directive @listSize(assumedSize: Int, slicingArguments: [String!]) on FIELD_DEFINITION
`;

/** Reads every `@cost` and `@listSize` of the schema once, at start-up. */
export function createCostModel(schema: GraphQLSchema): CostModel {
  const weights = new Map<string, number>();
  const sizes = new Map<string, { assumedSize?: number; slicingArguments: string[] }>();
  for (const type of Object.values(schema.getTypeMap())) {
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
    }
  }
  return {
    weightOf: (typeName, fieldName) => weights.get(`${typeName}.${fieldName}`),
    listSizeOf: (typeName, fieldName) => sizes.get(`${typeName}.${fieldName}`),
  };
}
