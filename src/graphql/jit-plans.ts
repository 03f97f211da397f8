import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import type { ExecutionHints } from '../operation/measure.js';

/** How one operation runs: compiled by graphql-jit, or by graphql-js. */
export type Plan = CompiledQuery['query'] | 'graphql-js';

export interface PlanLimits {
  /** Operations remembered, compiled or seen once. */
  maxEntries: number;
  /** Fields of all compiled operations together. */
  maxFields: number;
}

/** A document seen once: compiling costs about a parse and validation, so one-offs skip it. */
const seenOnce = 'seen once';

/**
 * Compiled operations of one schema, by operation name and query hash, least recently used
 * evicted beyond the limits. An operation is compiled the second time it runs; the first runs
 * on graphql-js, so a stream of distinct documents costs no more than it did without the
 * compiler. The field budget bounds memory whatever the operations' size (the count alone would
 * let large operations take gigabytes).
 */
export function createPlanCache(schema: GraphQLSchema, limits: PlanLimits) {
  const plans = new LRUCache<string, Plan | typeof seenOnce>({
    max: limits.maxEntries,
    maxSize: limits.maxFields,
    sizeCalculation: (plan) => (plan === seenOnce || plan === 'graphql-js' ? 1 : (sizes.get(plan) ?? 1)),
  });
  const sizes = new WeakMap<CompiledQuery['query'], number>();

  const compile = (
    document: DocumentNode,
    operation: OperationDefinitionNode,
    hints: ExecutionHints,
  ): Plan => {
    // Mutations: after a failed non-null mutation field graphql-jit still runs the next one;
    // graphql-js stops there. They are few and wait on services anyway.
    if (operation.operation !== 'query' || hints.needsGraphQLJs) return 'graphql-js';
    const compiled = compileQuery(schema, document, operation.name?.value);
    if (!isCompiledQuery(compiled)) return 'graphql-js';
    sizes.set(compiled.query, Math.max(1, hints.fields));
    return compiled.query;
  };

  return {
    plan(
      queryHash: string,
      document: DocumentNode,
      operation: OperationDefinitionNode,
      hints: ExecutionHints,
    ): Plan {
      const key = `${operation.name?.value ?? ''}:${queryHash}`;
      const known = plans.get(key);
      if (known === undefined) {
        plans.set(key, seenOnce);
        return 'graphql-js';
      }
      if (known !== seenOnce) return known;
      const plan = compile(document, operation, hints);
      plans.set(key, plan);
      return plan;
    },
  };
}
