import { getDirective } from '@graphql-tools/utils';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  isCompositeType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** How long, and for whom, an operation's answer may be reused. */
export interface CachePolicy {
  /** Seconds; 0 = not reusable. */
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

interface Hint {
  maxAge?: number;
  scope?: 'PUBLIC' | 'PRIVATE';
  inheritMaxAge?: boolean;
}

const uncacheable: CachePolicy = { maxAge: 0, scope: 'PUBLIC' };

/**
 * An operation's policy from the schema's `@cacheControl(maxAge, scope)` hints (Apollo's
 * convention), computed once per document from its AST instead of per resolved field, which is
 * what Apollo's cache-control plugin costs (~14% CPU, STACK-NOTES). Rules as Apollo's: a field's
 * own hint, else its type's; a field returning an object (and every root field) without a hint has
 * maxAge 0; scalar fields inherit. The operation takes the smallest maxAge and PRIVATE if any hint
 * says PRIVATE. Mutations, subscriptions and introspection are never reusable.
 */
export function createCachePolicies(schema: GraphQLSchema) {
  const fieldHints = new Map<string, Hint>();
  const typeHints = new Map<string, Hint>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const typeHint = getDirective(schema, type, 'cacheControl')?.[0] as Hint | undefined;
    if (typeHint) typeHints.set(type.name, typeHint);
    if (!('getFields' in type) || !isCompositeType(type)) continue;
    for (const field of Object.values(
      (type as { getFields(): Record<string, GraphQLField<unknown, unknown>> }).getFields(),
    )) {
      const hint = getDirective(schema, field, 'cacheControl')?.[0] as Hint | undefined;
      if (hint) fieldHints.set(`${type.name}.${field.name}`, hint);
    }
  }
  const memo = new WeakMap<DocumentNode, Map<string, CachePolicy>>();

  const policyOf = (document: DocumentNode, operationName?: string | null): CachePolicy => {
    let byOperation = memo.get(document);
    if (!byOperation) {
      byOperation = new Map();
      memo.set(document, byOperation);
    }
    const key = operationName ?? '';
    const known = byOperation.get(key);
    if (known) return known;
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
    const policy =
      operation?.operation !== 'query' || (!operationName && operations.length > 1)
        ? uncacheable
        : walk(schema, document, operation, fieldHints, typeHints);
    byOperation.set(key, policy);
    return policy;
  };
  return { policyOf };
}

function walk(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  fieldHints: Map<string, Hint>,
  typeHints: Map<string, Hint>,
): CachePolicy {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let maxAge = Number.POSITIVE_INFINITY;
  let scope: CachePolicy['scope'] = 'PUBLIC';
  const seen = new Set<string>();

  const visit = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, root: boolean) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (typed && isCompositeType(typed)) visit(selection.selectionSet, typed, root);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const key = `${selection.name.value}\u0000${parent.name}`;
        if (!fragment || seen.has(key)) continue;
        seen.add(key);
        const typed = schema.getType(fragment.typeCondition.name.value);
        if (typed && isCompositeType(typed)) visit(fragment.selectionSet, typed, root);
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (name.startsWith('__')) {
        maxAge = 0; // introspection describes the schema, which a deploy may change
        continue;
      }
      const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
      if (!field) continue;
      const named: GraphQLNamedType = getNamedType(field.type);
      const hint = fieldHints.get(`${parent.name}.${name}`) ?? typeHints.get(named.name);
      if (hint?.scope === 'PRIVATE') scope = 'PRIVATE';
      if (hint?.maxAge !== undefined) maxAge = Math.min(maxAge, hint.maxAge);
      else if (!hint?.inheritMaxAge && (root || isCompositeType(named))) maxAge = 0;
      if (selection.selectionSet && isCompositeType(named)) visit(selection.selectionSet, named, false);
    }
  };
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return uncacheable;
  visit(operation.selectionSet, rootType, true);
  return { maxAge: Number.isFinite(maxAge) ? maxAge : 0, scope };
}
