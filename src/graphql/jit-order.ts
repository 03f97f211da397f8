import {
  type DocumentNode,
  type FieldNode,
  type GraphQLError,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type Path = readonly (string | number)[];

/**
 * The errors of a compiled operation as graphql-js lists them. graphql-js runs an object's fields
 * (and a list's items) in order, each to its end while its value is at hand, and reports an error
 * when it happens; once a field fails a non-null position, the nearest nullable ancestor becomes
 * null and graphql-js starts nothing more inside it. graphql-jit runs every field of the
 * operation and lists nullable-field errors before non-null ones. So: depth-first order, and no
 * error from inside a nulled branch after the one that nulled it. Where values come from
 * services, graphql-js's own order follows their timing; this is one it can give.
 * Returns `errors` itself when a path cannot be followed (never expected).
 */
export function inGraphQLJsOrder(
  errors: readonly GraphQLError[],
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): readonly GraphQLError[] {
  const walker = new PathWalker(schema, document, operation);
  const placed: { error: GraphQLError; order: number[]; nulled: Path }[] = [];
  for (const error of errors) {
    const place = error.path && walker.place(error.path);
    if (!place) return errors;
    placed.push({ error, ...place });
  }
  placed.sort((a, b) => compareOrders(a.order, b.order));
  const nulled: Path[] = [];
  const kept: GraphQLError[] = [];
  for (const { error, nulled: branch } of placed) {
    if (nulled.some((prefix) => startsWith(error.path!, prefix))) continue;
    kept.push(error);
    nulled.push(branch);
  }
  return kept;
}

/** Follows response paths through the operation's selections and the schema's types. */
class PathWalker {
  private readonly fragments = new Map<string, SelectionSetNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly operation: OperationDefinitionNode,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        this.fragments.set(definition.name.value, definition.selectionSet);
      }
    }
  }

  /**
   * Where `path` is in depth-first order (per step: the field's rank among its object's
   * response keys, or the list index), and the branch a failure there nulls: the path up to
   * the nearest nullable position, the failing one included.
   */
  place(path: Path): { order: number[]; nulled: Path } | undefined {
    const order: number[] = [];
    let lastNullable = 0;
    let type: GraphQLOutputType | undefined;
    let selections: SelectionSetNode[] = [this.operation.selectionSet];
    for (const [i, step] of path.entries()) {
      const named = type && getNullableType(type);
      if (typeof step === 'number') {
        if (!isListType(named)) return undefined;
        order.push(step);
        type = named.ofType as GraphQLOutputType;
      } else {
        const parent = type ? named : this.schema.getRootType(this.operation.operation);
        if (!isObjectType(parent)) return undefined;
        const fields = this.collect(selections);
        const nodes = fields.get(step);
        const field = nodes && parent.getFields()[nodes[0]!.name.value];
        if (!field) return undefined;
        order.push([...fields.keys()].indexOf(step));
        type = field.type;
        selections = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      }
      if (!isNonNullType(type)) lastNullable = i + 1;
    }
    return { order, nulled: path.slice(0, lastNullable) };
  }

  /** Response key → field nodes, in the order graphql-js collects them. */
  private collect(
    selectionSets: SelectionSetNode[],
    into = new Map<string, FieldNode[]>(),
    visited = new Set<string>(),
  ): Map<string, FieldNode[]> {
    for (const selectionSet of selectionSets) {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          into.set(key, [...(into.get(key) ?? []), selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          this.collect([selection.selectionSet], into, visited);
        } else if (!visited.has(selection.name.value)) {
          visited.add(selection.name.value);
          const fragment = this.fragments.get(selection.name.value);
          if (fragment) this.collect([fragment], into, visited);
        }
      }
    }
    return into;
  }
}

function compareOrders(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((step, i) => path[i] === step);
}
