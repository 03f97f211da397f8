import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import type { GraphQLContext } from '../context/graphql-context.js';
import { createRateLimitPreflight } from '../directives/rate-limit-preflight.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { createOperationAnalyzer, type OperationAnalyzer } from '../operation/analyzer.js';
import type { RateLimitBackend } from '../ratelimit/backend.js';
import { createApollo } from './apollo.js';
import type { Engine } from './executor.js';

/** What serves GraphQL for one schema variant: its analysis and its Apollo server. */
export interface Endpoint {
  /** The client whose variant this is; undefined for the base schema. */
  client?: string;
  schema: GraphQLSchema;
  analyzer: OperationAnalyzer;
  apollo: ApolloServer<GraphQLContext>;
  /** A mutation's `@rateLimit` calls, all checked before any runs. */
  preflight: ReturnType<typeof createRateLimitPreflight>;
}

export interface EndpointOptions {
  config: GatewayConfig;
  metrics: GatewayMetrics;
  logger: Logger;
  client?: string;
  engine?: Engine;
  rateLimits: RateLimitBackend;
}

/**
 * Builds and starts one variant's endpoint. The analyzer parses and validates each text once;
 * Apollo takes the document from it (its `documentStore`) instead of parsing again.
 */
export async function createEndpoint(schema: GraphQLSchema, options: EndpointOptions): Promise<Endpoint> {
  const { config } = options;
  const analyzer = createOperationAnalyzer(schema, config.limits, {
    introspection: config.server.introspection,
  });
  const apollo = createApollo({
    schema,
    introspection: config.server.introspection,
    // Apollo's landing page only when asked for; the self-hosted IDE is src/ide/.
    sandbox: config.server.sandbox && config.server.sandboxIde === 'apollo',
    client: options.client,
    production: config.production,
    metrics: options.metrics,
    logger: options.logger,
    maxTokens: config.limits.maxTokens,
    documentStore: analyzer.documentStore,
    engine: options.engine,
  });
  await apollo.start();
  const preflight = createRateLimitPreflight(schema, options.rateLimits);
  return { client: options.client, schema, analyzer, apollo, preflight };
}
