import {
  BREAK,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * Where graphql-jit's answers would differ from graphql-js's, the document runs on graphql-js.
 * Introspection: rare, and graphql-js is its reference. Abstract types and `isTypeOf` checks:
 * graphql-jit words their runtime errors differently, and an object it could not type left the
 * request unanswered. Plain object types of the base schema, the hot path, have neither.
 */
export function needsGraphQLJs(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const type = getNamedType(typeInfo.getType());
        found =
          node.name.value === '__schema' ||
          node.name.value === '__type' ||
          isAbstractType(type) ||
          (isObjectType(type) && typeof type.isTypeOf === 'function');
        return found ? BREAK : undefined;
      },
    }),
  );
  return found;
}

/**
 * Fields the operation's compiled code covers: fragments count once per spread, as graphql-jit
 * generates them. The operation gate's cost limit keeps this bounded.
 */
export function compiledFieldCount(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const count = (selectionSet: SelectionSetNode): number => {
    let fields = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        fields += 1 + (selection.selectionSet ? count(selection.selectionSet) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        fields += count(selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) fields += count(fragment.selectionSet);
      }
    }
    return fields;
  };
  return count(operation.selectionSet);
}
