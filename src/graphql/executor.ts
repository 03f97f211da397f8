import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { type ExecutionResult, execute, type GraphQLSchema, getVariableValues } from 'graphql';
import { asGraphQLJsError } from './jit-errors.js';
import { inGraphQLJsOrder } from './jit-order.js';
import { PlanCache, type PlanLimits } from './jit-plans.js';

type Gateway = ApolloServerOptionsWithGateway<never>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;
type SchemaListener = Parameters<Gateway['onSchemaLoadOrUpdate']>[0];

// About 30 MB per schema at the dashboard query's ~3 KB per compiled field (measured).
const defaultLimits: PlanLimits = { maxEntries: 1_000, maxFields: 10_000 };

/**
 * Runs operations with graphql-jit behind Apollo Server's gateway interface: Apollo still parses,
 * validates, caches documents, runs the plugins and formats errors; only execution changes.
 * Answers are those of graphql-js: introspection, mutations, operations graphql-jit cannot
 * compile, one-off documents and invalid variables run on graphql-js itself, and the compiled
 * operations' errors are rebuilt (jit-errors.ts) and listed (jit-order.ts) as graphql-js does.
 */
export function jitGateway(schema: GraphQLSchema, limits = defaultLimits): Gateway {
  const plans = new PlanCache(schema, limits);
  const graphqlJs: Executor = async ({ document, request, context }) =>
    execute({
      schema,
      document,
      contextValue: context,
      variableValues: request.variables,
      operationName: request.operationName,
    });
  const executor: Executor = async (requestContext) => {
    const { document, operation, queryHash, request, context } = requestContext;
    // No operation (an unknown name, several without one): graphql-js words Apollo's answer.
    if (!operation) return graphqlJs(requestContext);
    const query = plans.plan(queryHash, document, operation);
    if (query === 'graphql-js') return graphqlJs(requestContext);
    // graphql-jit words coercion errors its own way and without the nodes Apollo looks for to
    // answer BAD_USER_INPUT; coercion runs no resolver, so graphql-js can redo it for the answer.
    const definitions = operation.variableDefinitions;
    if (definitions?.length && getVariableValues(schema, definitions, request.variables ?? {}).errors) {
      return graphqlJs(requestContext);
    }
    const result: ExecutionResult = await query(undefined, context, request.variables);
    // Without data, graphql-jit refused the variables where graphql-js did not: nothing ran yet.
    if (!('data' in result)) return graphqlJs(requestContext);
    if (!result.errors) return result;
    const errors = result.errors.map(asGraphQLJsError);
    return {
      ...result,
      errors: errors.length > 1 ? inGraphQLJsOrder(errors, schema, document, operation) : errors,
    };
  };
  let listener: SchemaListener | undefined;
  return {
    // Apollo subscribes before load() and needs the schema by the end of load().
    onSchemaLoadOrUpdate(callback) {
      listener = callback;
      return () => {
        listener = undefined;
      };
    },
    async load() {
      listener?.({ apiSchema: schema, coreSupergraphSdl: '' });
      return { executor };
    },
    async stop() {},
  };
}
