import type { ApolloServer } from '@apollo/server';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { createCachePolicies } from '../cache/cache-policy.js';
import type { ResponseCaching } from '../cache/http-hooks.js';
import { createApollo } from '../graphql/apollo.js';
import type { GraphQLContext } from '../graphql/context.js';
import { degradedPlugin } from '../graphql/degraded.js';
import { createOperationGate, type OperationGate } from '../limits/gate.js';
import { observabilityPlugin } from '../observability/apollo-plugin.js';
import { persistedGatePlugin } from '../persisted/persisted-operations.js';
import type { HttpServerDeps } from './server.js';

/** What serves GraphQL for one schema variant: its limits, cache policies and Apollo server. */
export interface Endpoint {
  gate: OperationGate;
  caching: ResponseCaching;
  apollo: ApolloServer<GraphQLContext>;
  handler: RouteHandlerMethod;
}

/** Builds and starts one variant's endpoint; the caller stops its Apollo server on close. */
export async function createEndpoint(
  schema: GraphQLSchema,
  deps: HttpServerDeps,
  context: (request: FastifyRequest) => Promise<GraphQLContext>,
  /** The client whose variant this is (none for the base): its sandbox selects it. */
  client?: string,
): Promise<Endpoint> {
  const { config, metrics, logger } = deps;
  const gate = createOperationGate(schema, config.limits);
  const caching: ResponseCaching = {
    policies: createCachePolicies(schema),
    gate,
    cache: deps.responseCache,
    onHit: () => metrics.responseCacheHits.inc(),
  };
  const apollo = createApollo({
    schema,
    introspection: config.server.introspection,
    sandbox: config.server.sandbox,
    client,
    production: config.production,
    metrics,
    logger,
    maxTokens: config.limits.maxTokens,
    persistedQueries: deps.persisted.apollo,
    plugins: [
      persistedGatePlugin(gate, metrics),
      observabilityPlugin(),
      ...(usesStaleIfError(deps) ? [degradedPlugin()] : []),
    ],
  });
  await apollo.start();
  const handler = fastifyApolloHandler<GraphQLContext>(apollo, { context }) as RouteHandlerMethod;
  return { gate, caching, apollo, handler };
}

export function usesStaleIfError({ config }: Pick<HttpServerDeps, 'config'>): boolean {
  return Object.values(config.upstreams).some((u) => u.staleIfErrorSeconds > 0);
}
