import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isIntrospectionType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type ValueNode,
} from 'graphql';
import type { SchemaFacts } from './schema-facts.js';

/** What an operation would cost, measured on its AST before anything runs. */
export interface OperationMeasure {
  /** Deepest chain of nested selections (`{ a { b } }` is 2). Introspection counts too, but see `ofTypeChain`. */
  depth: number;
  /** Longest run of nested `__Type.ofType` selections. */
  ofTypeChain: number;
  /** Fields with an alias, fragments expanded as often as they are spread. */
  aliases: number;
  /** Fields directly under the operation (fragments on the root expanded). */
  rootFields: number;
  /**
   * The response keys (aliases) each root field runs under, in order: how many times it runs. A
   * mutation's `@rateLimit` is checked for all of them before any runs.
   */
  rootCalls: Record<string, string[]>;
  /** Most directives on one field. */
  directivesPerField: number;
  /**
   * The cost model's estimate: each field costs its `@cost` weight (default 1 for object
   * fields, 0 for scalars) plus its selections, times its list size for list fields
   * (`@listSize`), as in the IBM cost spec and Apollo's demand control. So `products(ids:)`
   * with 10,000 ids costs at least 10,000, whatever it selects. Introspection costs 0.
   */
  cost: number;
  /**
   * Whether a slicing argument's value was read from the variables. Only then does the measure
   * depend on them; otherwise it is the same for every request of this document and operation.
   */
  readsVariables: boolean;
  /**
   * How long and for whom the answer may be reused, from the `@cacheControl` hints (Apollo's
   * rules: a field's own hint, else its type's; an object field, and every root field, without
   * a hint has maxAge 0; scalars inherit). Mutations, subscriptions and introspection: never.
   */
  cachePolicy: CachePolicy;
  /** Fields the executor resolves, fragments counted once per spread (a compiled plan's size). */
  fields: number;
  /**
   * Whether the operation needs graphql-js itself: introspection, abstract types and `isTypeOf`
   * checks, where graphql-jit's answers differ. Plain object types (the hot path) have none.
   */
  needsGraphQLJs: boolean;
}

/** What the analysis tells the executor (graphql-jit or graphql-js, and a compiled plan's size). */
export type ExecutionHints = Pick<OperationMeasure, 'needsGraphQLJs' | 'fields'>;

/** How long, and for whom, an operation's answer may be reused. */
export interface CachePolicy {
  /** Seconds; 0 = not reusable. */
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

/** A list field without `@listSize` and without a slicing argument is assumed to return this many. */
export const defaultListSize = 10;

/**
 * `__Type.ofType` levels do not count towards depth: the standard introspection query (and the
 * sandbox's) nests eight of them to unwrap types like `[[T!]!]!`, and the answer is bounded by the
 * schema's wrappers. Longer chains than this are refused as too deep.
 */
export const maxOfTypeChain = 10;

interface Totals {
  /** Smallest maxAge hinted below (Infinity when no field limits it). */
  maxAge: number;
  private: boolean;
  fields: number;
  needsGraphQLJs: boolean;
  depth: number;
  /** ofType run starting at this level, and the longest anywhere below. */
  topRun: number;
  maxRun: number;
  aliases: number;
  directives: number;
  cost: number;
}

// Counts saturate here: the fragment "bomb" (each level spreading the previous twice) would
// otherwise reach numbers like 2^1000 — finite work thanks to memoisation, infinite numbers.
const saturation = 1e12;
const add = (a: number, b: number) => Math.min(saturation, a + b);
const mul = (a: number, b: number) => Math.min(saturation, a * b);

/**
 * Measures every operation of a document in time linear in its size: each fragment is
 * measured once per parent type and reused at every spread, and fragment cycles are cut.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  facts: SchemaFacts,
): OperationMeasure {
  const model = facts;
  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const memo = new Map<string, Totals>();
  const inProgress = new Set<string>();
  let readsVariables = false;
  const variable = (name: string): unknown => {
    readsVariables = true;
    return variables[name];
  };

  const measureSelections = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType | undefined,
  ): Totals => {
    const totals: Totals = empty();
    for (const selection of selectionSet.selections) {
      let part: Totals;
      if (selection.kind === Kind.FIELD) {
        part = measureField(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        part = measureSelections(selection.selectionSet, isCompositeType(typed) ? typed : undefined);
        part = { ...part, directives: Math.max(part.directives, selection.directives?.length ?? 0) };
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || inProgress.has(name)) continue; // unknown or cyclic: validation reports it
        const key = `${name}\u0000${parent?.name ?? ''}`;
        let cached = memo.get(key);
        if (!cached) {
          inProgress.add(name);
          const typed = schema.getType(fragment.typeCondition.name.value);
          cached = measureSelections(fragment.selectionSet, isCompositeType(typed) ? typed : undefined);
          inProgress.delete(name);
          memo.set(key, cached);
        }
        // Directives on the spread and on the fragment's definition count like a field's.
        const directives = (selection.directives?.length ?? 0) + (fragment.directives?.length ?? 0);
        part = directives > cached.directives ? { ...cached, directives } : cached;
      }
      totals.depth = Math.max(totals.depth, part.depth);
      totals.topRun = Math.max(totals.topRun, part.topRun);
      totals.maxRun = Math.max(totals.maxRun, part.maxRun);
      totals.aliases = add(totals.aliases, part.aliases);
      totals.directives = Math.max(totals.directives, part.directives);
      totals.cost = add(totals.cost, part.cost);
      totals.maxAge = Math.min(totals.maxAge, part.maxAge);
      totals.private ||= part.private;
      totals.fields = add(totals.fields, part.fields);
      totals.needsGraphQLJs ||= part.needsGraphQLJs;
    }
    return totals;
  };

  const measureField = (node: FieldNode, parent: GraphQLCompositeType | undefined): Totals => {
    const field = parent ? fieldOf(schema, parent, node.name.value) : undefined;
    const type = field ? getNullableType(field.type) : undefined;
    const named = type ? getNamedType(type) : undefined;
    const child = node.selectionSet
      ? measureSelections(node.selectionSet, isCompositeType(named) ? named : undefined)
      : empty();
    const size =
      type && isListType(type) && parent && field ? listSize(parent.name, field, node, variable, model) : 1;
    // Introspection is answered from the schema in memory, without any upstream call, and its
    // size is bounded by depth, aliases and graphql-js's MaxIntrospectionDepthRule: it costs 0,
    // or the standard introspection query (`types` × `fields` × `args` …) would cost ~15,000.
    const introspective =
      (parent !== undefined && isIntrospectionType(parent)) ||
      field === SchemaMetaFieldDef ||
      field === TypeMetaFieldDef;
    const weight = introspective
      ? 0
      : ((parent && model.weightOf(parent.name, node.name.value)) ??
        (node.selectionSet || isCompositeType(named) ? 1 : 0));
    const isOfType = parent?.name === '__Type' && node.name.value === 'ofType';
    const topRun = isOfType ? child.topRun + 1 : 0;
    const hinted = cacheHintOf(node, parent, named, parent === rootType);
    return {
      maxAge: Math.min(child.maxAge, hinted.maxAge),
      private: child.private || hinted.private,
      fields: add(child.fields, 1),
      needsGraphQLJs:
        child.needsGraphQLJs ||
        field === SchemaMetaFieldDef ||
        field === TypeMetaFieldDef ||
        (named !== undefined &&
          (isAbstractType(named) || (isObjectType(named) && typeof named.isTypeOf === 'function'))),
      depth: child.depth + (isOfType ? 0 : 1),
      topRun,
      maxRun: Math.max(child.maxRun, topRun),
      aliases: add(child.aliases, node.alias ? 1 : 0),
      directives: Math.max(child.directives, node.directives?.length ?? 0),
      cost: mul(size, add(weight, child.cost)),
    };
  };

  /** The field's effect on the cache policy (the `__typename` meta-field has none). */
  const cacheHintOf = (
    node: FieldNode,
    parent: GraphQLCompositeType | undefined,
    named: GraphQLNamedType | undefined,
    root: boolean,
  ): { maxAge: number; private: boolean } => {
    const name = node.name.value;
    if (name === '__typename') return { maxAge: Number.POSITIVE_INFINITY, private: false };
    // Introspection describes the schema, which a deploy may change.
    if (name.startsWith('__') || !parent || !named) return { maxAge: 0, private: false };
    const hint = facts.fieldHint(parent.name, name) ?? facts.typeHint(named.name);
    const isPrivate = hint?.scope === 'PRIVATE';
    if (hint?.maxAge !== undefined) return { maxAge: hint.maxAge, private: isPrivate };
    if (!hint?.inheritMaxAge && (root || isCompositeType(named))) return { maxAge: 0, private: isPrivate };
    return { maxAge: Number.POSITIVE_INFINITY, private: isPrivate };
  };

  const totals = measureSelections(operation.selectionSet, rootType);
  const root = rootFieldsOf(operation.selectionSet, fragments);
  const cacheable = operation.operation === 'query' && Number.isFinite(totals.maxAge);
  return {
    cachePolicy: {
      maxAge: cacheable ? totals.maxAge : 0,
      scope: totals.private ? 'PRIVATE' : 'PUBLIC',
    },
    fields: totals.fields,
    needsGraphQLJs: totals.needsGraphQLJs,
    depth: totals.depth,
    ofTypeChain: totals.maxRun,
    aliases: totals.aliases,
    directivesPerField: Math.max(totals.directives, operationDirectives(operation)),
    cost: totals.cost,
    rootFields: root.count,
    rootCalls: root.calls,
    readsVariables,
  };
}

function empty(): Totals {
  return {
    maxAge: Number.POSITIVE_INFINITY,
    private: false,
    fields: 0,
    needsGraphQLJs: false,
    depth: 0,
    topRun: 0,
    maxRun: 0,
    aliases: 0,
    directives: 0,
    cost: 0,
  };
}

/** A field's definition, the meta-fields `__schema`, `__type` and `__typename` included. */
function fieldOf(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  return 'getFields' in parent ? parent.getFields()[name] : undefined;
}

/** Directives on the operation itself, or on one of its variable definitions. */
function operationDirectives(operation: OperationDefinitionNode): number {
  let most = operation.directives?.length ?? 0;
  for (const variable of operation.variableDefinitions ?? []) {
    most = Math.max(most, variable.directives?.length ?? 0);
  }
  return most;
}

/**
 * The root's fields, fragments expanded (each fragment once: spreading it twice on the root asks
 * the same fields): how many selections, and how many times each field runs (its distinct
 * response keys).
 */
function rootFieldsOf(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): { count: number; calls: Record<string, string[]> } {
  const keys = new Map<string, Set<string>>();
  const seen = new Set<string>();
  let count = 0;
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        count += 1;
        const name = selection.name.value;
        if (!keys.has(name)) keys.set(name, new Set());
        keys.get(name)!.add(selection.alias?.value ?? name);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment.selectionSet);
      }
    }
  };
  visit(selectionSet);
  return { count, calls: Object.fromEntries([...keys].map(([name, set]) => [name, [...set]])) };
}

/** How many items a list field is expected to return: a slicing argument's value, else the assumed size. */
function listSize(
  typeName: string,
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variable: (name: string) => unknown,
  model: SchemaFacts,
): number {
  const declared = model.listSizeOf(typeName, field.name);
  for (const name of declared?.slicingArguments ?? []) {
    const given = node.arguments?.find((a) => a.name.value === name)?.value;
    const value = given
      ? literalValue(given, variable)
      : field.args.find((a) => a.name === name)?.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, value);
    if (Array.isArray(value)) return value.length;
  }
  return declared?.assumedSize ?? defaultListSize;
}

function literalValue(node: ValueNode, variable: (name: string) => unknown): unknown {
  switch (node.kind) {
    case Kind.INT:
      return Number(node.value);
    case Kind.LIST:
      return node.values;
    case Kind.VARIABLE:
      return variable(node.name.value);
    default:
      return undefined;
  }
}
