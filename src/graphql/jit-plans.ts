import type { DocumentNode, GraphQLField, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { compiledFieldCount, needsGraphQLJs } from './jit-scope.js';

/** How one operation runs: compiled by graphql-jit, or by graphql-js. */
export type Plan = CompiledQuery['query'] | 'graphql-js';

/** A document seen once: compiling costs about a parse and validation, so one-offs skip it. */
const seenOnce = Symbol('seen once');

interface Entry {
  plan: Plan | typeof seenOnce;
  /** Fields of the compiled code: its memory is about proportional (~3 KB each). */
  fields: number;
}

export interface PlanLimits {
  /** Operations remembered, compiled or seen once. */
  maxEntries: number;
  /** Fields of all compiled operations together. */
  maxFields: number;
}

/**
 * Compiled operations of one schema, by operation name and query hash, least recently used
 * evicted beyond the limits. An operation is compiled the second time it runs; the first runs
 * on graphql-js, so a stream of distinct documents costs no more than it did without the
 * compiler. The field budget bounds memory whatever the operations' size (the count alone would
 * let large operations take gigabytes).
 */
export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  private fields = 0;
  /**
   * Compiled code holds the resolvers it was compiled with. Apollo wraps every resolver of the
   * schema in place when a plugin first needs `willResolveField` (src/graphql/degraded.ts), at
   * the first request of a server with such a plugin; the schema may be shared with another
   * server. Any field shows whether that happened since.
   */
  private readonly probe: GraphQLField<unknown, unknown> | undefined;
  private compiledWith: GraphQLField<unknown, unknown>['resolve'];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: PlanLimits,
  ) {
    this.probe = Object.values(schema.getQueryType()?.getFields() ?? {})[0];
    this.compiledWith = this.probe?.resolve;
  }

  plan(queryHash: string, document: DocumentNode, operation: OperationDefinitionNode): Plan {
    if (this.probe?.resolve !== this.compiledWith) {
      this.entries.clear();
      this.fields = 0;
      this.compiledWith = this.probe?.resolve;
    }
    const key = `${operation.name?.value ?? ''}:${queryHash}`;
    const known = this.entries.get(key);
    if (known === undefined) {
      this.remember(key, { plan: seenOnce, fields: 0 });
      return 'graphql-js';
    }
    const entry = known.plan === seenOnce ? this.compile(document, operation) : known;
    this.remember(key, entry);
    return entry.plan as Plan;
  }

  private compile(document: DocumentNode, operation: OperationDefinitionNode): Entry {
    // Mutations: after a failed non-null mutation field graphql-jit still runs the next one;
    // graphql-js stops there. They are few and wait on services anyway.
    if (operation.operation !== 'query' || needsGraphQLJs(this.schema, document)) {
      return { plan: 'graphql-js', fields: 0 };
    }
    const compiled = compileQuery(this.schema, document, operation.name?.value);
    if (!isCompiledQuery(compiled)) return { plan: 'graphql-js', fields: 0 };
    return { plan: compiled.query, fields: compiledFieldCount(document, operation) };
  }

  private remember(key: string, entry: Entry): void {
    // Deleting first moves the key to the end: the Map's order is then least recently used first.
    const previous = this.entries.get(key);
    if (previous) this.fields -= previous.fields;
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.fields += entry.fields;
    const { maxEntries, maxFields } = this.limits;
    while (this.entries.size > 1 && (this.entries.size > maxEntries || this.fields > maxFields)) {
      const [oldest, evicted] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.fields -= evicted.fields;
    }
  }
}
