import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type ASTNode,
  buildASTSchema,
  concatAST,
  type DefinitionNode,
  type DocumentNode,
  extendSchema,
  type GraphQLError,
  type GraphQLSchema,
  getLocation,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  Source,
  validateSchema,
} from 'graphql';
import { validateSDL } from 'graphql/validation/validate.js';
import { restSpecOf } from '../directives/rest/spec.js';
import { type ClientSource, display } from './sources.js';

/** The base SDL; the same file in `src/` (tsx) and `dist/` (built) layouts: both sit beside `schema/`. */
export const baseSchemaPath = fileURLToPath(new URL('../../schema/schema.graphql', import.meta.url));

/** The base schema as parsed once: its document (with locations naming its file) and plain schema. */
export interface BaseSchema {
  document: DocumentNode;
  schema: GraphQLSchema;
}

/** A client's schema: the base plus its extension, checked, not yet executable. */
export interface ComposedClient {
  name: string;
  /** Its files' definitions in one document (empty for a client without any). */
  extension: DocumentNode;
  schema: GraphQLSchema;
}

/** A client's extension cannot be served; each problem names its file, line and column. */
export class ClientSchemaError extends Error {
  override readonly name = 'ClientSchemaError';
  readonly code = 'CLIENT_SCHEMA_INVALID';
  constructor(
    readonly client: string,
    readonly problems: string[],
  ) {
    super(`The schema of client "${client}" is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadBaseSchema(path = baseSchemaPath): BaseSchema {
  const document = parse(new Source(readFileSync(path, 'utf8'), display(path)));
  return { document, schema: buildASTSchema(document) };
}

// What an extension may hold: types and extensions of types. No operations, no `schema`, no
// directive or scalar definitions: those would need code the gateway does not have.
const allowedKinds = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.UNION_TYPE_EXTENSION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.ENUM_TYPE_EXTENSION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_EXTENSION,
]);

/**
 * Composes and checks one client: its files parse, hold only type definitions and extensions,
 * extend what exists without conflicts, and every `@rest` field is well formed. Throws a
 * ClientSchemaError listing every problem with its place.
 */
export function composeClient(base: BaseSchema, source: ClientSource): ComposedClient {
  const problems: string[] = [];
  const documents: DocumentNode[] = [];
  for (const file of source.files) {
    try {
      documents.push(parse(new Source(file.body, file.path)));
    } catch (error) {
      problems.push(describe(error as GraphQLError));
    }
  }
  if (problems.length > 0) throw new ClientSchemaError(source.name, problems);
  const extension = concatAST(documents);
  if (extension.definitions.length === 0) return { name: source.name, extension, schema: base.schema };

  for (const definition of extension.definitions) {
    if (!allowedKinds.has(definition.kind)) problems.push(at(definition, unsupported(definition)));
  }
  if (problems.length === 0) {
    for (const error of validateSDL(extension, base.schema)) problems.push(describe(error));
  }
  if (problems.length > 0) throw new ClientSchemaError(source.name, problems);

  const schema = extendSchema(base.schema, extension, { assumeValidSDL: true });
  for (const error of validateSchema(schema)) problems.push(describe(error));
  problems.push(...fieldProblems(schema, extension));
  if (problems.length > 0) throw new ClientSchemaError(source.name, problems);
  return { name: source.name, extension, schema };
}

/** Root fields and `@rest` declarations the extension adds. */
function fieldProblems(schema: GraphQLSchema, extension: DocumentNode): string[] {
  const problems: string[] = [];
  const query = schema.getQueryType()?.name;
  for (const definition of extension.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    ) {
      continue;
    }
    const type = schema.getType(definition.name.value);
    for (const node of definition.fields ?? []) {
      const hasRest = node.directives?.some((d) => d.name.value === 'rest') ?? false;
      if (isInterfaceType(type)) {
        if (hasRest) problems.push(at(node, '@rest belongs on the fields of object types, not interfaces'));
        continue;
      }
      if (!isObjectType(type)) continue;
      const coordinate = `${type.name}.${node.name.value}`;
      if (type === schema.getMutationType() || type === schema.getSubscriptionType()) {
        problems.push(
          at(node, `${coordinate}: client extensions add reads only; a ${type.name} field needs code`),
        );
        continue;
      }
      const field = type.getFields()[node.name.value];
      if (!field) continue;
      try {
        const spec = restSpecOf(schema, type.name, field.name, field);
        if (!spec && type.name === query) {
          problems.push(at(node, `${coordinate} needs @rest: a root field has no parent to read from`));
        }
      } catch (error) {
        problems.push(at(node, (error as Error).message));
      }
    }
  }
  return problems;
}

function unsupported(definition: DefinitionNode): string {
  switch (definition.kind) {
    case Kind.SCALAR_TYPE_DEFINITION:
    case Kind.SCALAR_TYPE_EXTENSION:
      return 'a client extension cannot define scalars (they need code): use an existing scalar';
    case Kind.DIRECTIVE_DEFINITION:
      return 'a client extension cannot define directives (they need code)';
    case Kind.SCHEMA_DEFINITION:
    case Kind.SCHEMA_EXTENSION:
      return 'a client extension cannot change the schema definition';
    default:
      return 'a client extension holds type definitions and `extend type …` only, not operations';
  }
}

/** `file:line:column: message` at a node. */
function at(node: ASTNode, message: string): string {
  return `${where(node) ?? '(unknown place)'}: ${message}`;
}

function where(node: ASTNode): string | undefined {
  if (!node.loc) return undefined;
  const { line, column } = getLocation(node.loc.source, node.loc.start);
  return `${node.loc.source.name}:${line}:${column}`;
}

/**
 * A graphql-js error with its place. Validation errors may point at several nodes (a field
 * defined twice: in the base and in the extension): the extension's place comes first, the
 * others follow as "see also".
 */
function describe(error: GraphQLError): string {
  const places = (error.nodes ?? []).map(where).filter((p): p is string => p !== undefined);
  if (places.length === 0 && error.source && error.locations?.[0]) {
    const { line, column } = error.locations[0];
    places.push(`${error.source.name}:${line}:${column}`);
  }
  const [first, ...others] = places.sort((a, b) => Number(isBase(a)) - Number(isBase(b)));
  const also = others.length > 0 ? ` (see also ${others.join(', ')})` : '';
  return `${first ?? '(unknown place)'}: ${error.message}${also}`;
}

function isBase(place: string): boolean {
  return place.startsWith(`${display(baseSchemaPath)}:`);
}
