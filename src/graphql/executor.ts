import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import { type ExecutionResult, execute, type GraphQLSchema, getVariableValues } from 'graphql';
import type { GraphQLContext } from '../context/graphql-context.js';
import { asGraphQLJsError } from './jit-errors.js';
import { inGraphQLJsOrder } from './jit-order.js';
import { createPlanCache, type PlanLimits } from './jit-plans.js';

type Gateway = ApolloServerOptionsWithGateway<never>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;
type SchemaListener = Parameters<Gateway['onSchemaLoadOrUpdate']>[0];

/** Which engine runs operations: graphql-jit where its answers match graphql-js's, or graphql-js alone. */
export type Engine = 'graphql-jit' | 'graphql-js';

// About 30 MB per schema at the dashboard query's ~3 KB per compiled field (measured).
const defaultLimits: PlanLimits = { maxEntries: 1_000, maxFields: 10_000 };

/**
 * Runs operations behind Apollo Server's gateway interface (its public extension point for a
 * custom executor): Apollo still handles HTTP, runs the plugins and formats errors, and takes
 * its documents from the operation analyzer. With `graphql-jit`, an operation is compiled on its
 * second run; answers stay those of graphql-js: introspection, abstract types, mutations,
 * one-off documents and invalid variables run on graphql-js itself, and compiled operations'
 * errors are rebuilt (jit-errors.ts) and listed (jit-order.ts) as graphql-js does. Each request
 * records which engine ran it (`stats.engine`: the log line, the fan-out report and a metric).
 */
export function createExecutorGateway(
  schema: GraphQLSchema,
  engine: Engine,
  limits = defaultLimits,
): Gateway {
  const plans = createPlanCache(schema, limits);
  const graphqlJs: Executor = async ({ document, request, context }) => {
    noteEngine(context, 'graphql-js');
    return execute({
      schema,
      document,
      contextValue: context,
      variableValues: request.variables,
      operationName: request.operationName,
    });
  };
  const jit: Executor = async (requestContext) => {
    const { document, operation, queryHash, request, context } = requestContext;
    const hints = (context as GraphQLContext).executionHints;
    // No operation (an unknown name, several without one): graphql-js words Apollo's answer.
    // No hints: the request skipped the analysis (a batch): graphql-js, as for a one-off.
    if (!operation || !hints) return graphqlJs(requestContext);
    const query = plans.plan(queryHash, document, operation, hints);
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
    noteEngine(context, 'graphql-jit');
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
      return { executor: engine === 'graphql-jit' ? jit : graphqlJs };
    },
    async stop() {},
  };
}

function noteEngine(context: unknown, engine: Engine): void {
  const stats = (context as GraphQLContext).stats;
  if (stats) stats.engine = engine;
}
