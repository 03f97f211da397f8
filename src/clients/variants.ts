import type { DocumentNode, GraphQLSchema, StringValueNode } from 'graphql';
import { Kind, visit } from 'graphql';
import { type BaseSchema, type ComposedClient, composeClient, loadBaseSchema } from './compose.js';
import { display, readClientSources } from './sources.js';

/** One schema the gateway serves: the base (`client` undefined) or a client's. */
export interface SchemaVariant {
  /** The client's name; undefined for the base schema. */
  client?: string;
  schema: GraphQLSchema;
}

export interface SchemaVariants {
  base: SchemaVariant;
  /** Clients with a folder in `clients.dir`, by name. */
  clients: ReadonlyMap<string, SchemaVariant>;
  /** The schema a request of this client gets: its own, else the base. */
  select(clientName: string): SchemaVariant;
  /** Worth logging at start-up (a missing folder, a service not under `upstreams`). */
  warnings: string[];
}

/** Every client composed and checked, nothing executable yet (so nothing has opened a socket). */
export interface ComposedVariants {
  base: BaseSchema;
  clients: ComposedClient[];
  warnings: string[];
}

/**
 * Reads and checks every client's extension in `dir`, once, first thing at start-up. Throws
 * (ClientSchemaError naming file and line) when any is broken: a gateway that serves a client
 * another schema than the one it was promised is worse than one that does not start.
 */
export async function composeVariants(
  dir: string,
  isDeclared: (service: string) => boolean,
): Promise<ComposedVariants> {
  const base = loadBaseSchema();
  const sources = await readClientSources(dir);
  const warnings: string[] = [];
  if (sources.missing) {
    warnings.push(`clients.dir ${display(dir)} does not exist: every client gets the base schema`);
  }
  const clients = sources.clients.map((source) => composeClient(base, source));
  for (const client of clients) warnings.push(...undeclaredServices(client, isDeclared));
  return { base, clients, warnings };
}

/** Makes each variant executable with `build` (base document plus the client's extension). */
export function buildVariants(
  composed: ComposedVariants,
  build: (typeDefs: DocumentNode[]) => GraphQLSchema,
): SchemaVariants {
  const base: SchemaVariant = { schema: build([composed.base.document]) };
  const clients = new Map<string, SchemaVariant>();
  for (const client of composed.clients) {
    const empty = client.extension.definitions.length === 0;
    // A folder without definitions serves the base schema itself: nothing to build twice.
    const schema = empty ? base.schema : build([composed.base.document, client.extension]);
    clients.set(client.name, { client: client.name, schema });
  }
  return {
    base,
    clients,
    select: (clientName) => clients.get(clientName) ?? base,
    warnings: composed.warnings,
  };
}

/**
 * A `@rest` field whose service is not under `upstreams` answers UPSTREAM_UNAVAILABLE rather
 * than stopping the start-up: the same folder can then serve deployments that lack one
 * client's service, and the operator is told at start-up.
 */
function undeclaredServices(client: ComposedClient, isDeclared: (service: string) => boolean): string[] {
  const warnings: string[] = [];
  visit(client.extension, {
    Directive(node) {
      if (node.name.value !== 'rest') return;
      const service = node.arguments?.find((arg) => arg.name.value === 'service')?.value;
      if (service?.kind !== Kind.STRING) return;
      const name = (service as StringValueNode).value;
      if (isDeclared(name)) return;
      const place = node.loc ? `${node.loc.source.name}:${node.loc.startToken.line}` : client.name;
      warnings.push(
        `${place}: client ${client.name} uses service "${name}", which is not under upstreams: its fields answer UPSTREAM_UNAVAILABLE`,
      );
    },
  });
  return warnings;
}
