import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { GraphQLContext } from '../context/graphql-context.js';
import { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { createExecutorGateway, type Engine } from './executor.js';
import { reportPlugin } from './report-plugin.js';

export interface ApolloOptions {
  schema: GraphQLSchema;
  introspection: boolean;
  sandbox: boolean;
  /** The client whose schema variant this serves: its sandbox sends `apollographql-client-name`. */
  client?: string;
  production: boolean;
  metrics: GatewayMetrics;
  logger: Logger;
  /** The parser's token limit (the operation gate checks it first; this is the backstop). */
  maxTokens: number;
  /** graphql-jit (default) or graphql-js alone. */
  engine?: Engine;
  /** Where Apollo finds documents already parsed and validated (the operation analyzer's). */
  documentStore: KeyValueCache<DocumentNode>;
}

/** Creates (not starts) the Apollo Server that executes operations against the schema. */
export function createApollo(options: ApolloOptions): ApolloServer<GraphQLContext> {
  const { metrics, logger, production } = options;
  return new ApolloServer<GraphQLContext>({
    // graphql-jit executes; Apollo keeps parsing, validation, the document cache and the plugins.
    gateway: createExecutorGateway(options.schema, options.engine ?? 'graphql-jit'),
    introspection: options.introspection,
    includeStacktraceInErrorResponses: false,
    // Apollo's own SIGINT/SIGTERM handlers would stop it at once, in the middle of the drain,
    // and then re-raise the signal. The CLI owns the signals; Fastify's close stops Apollo last.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: options.maxTokens },
    // APQ and trusted documents are resolved before Apollo (src/persisted/): it always gets a text.
    persistedQueries: false,
    documentStore: options.documentStore,
    // Arrays of operations are accepted; their size is bounded by limits.maxOperationsPerBatch
    // in the operation gate before Apollo sees them.
    allowBatchedHttpRequests: true,
    // "Did you mean …" leaks schema that introspection may be hiding.
    hideSchemaDetailsFromClientErrors: !options.introspection,
    formatError: (formatted, error) =>
      formatError(
        options.introspection ? formatted : withoutSuggestions(formatted),
        error,
        production,
        logger,
      ),
    plugins: [
      reportPlugin(),
      // Apollo's cache-control plugin wraps every resolver (~14% CPU, measured); hints are unused.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      options.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({
            embed: options.client
              ? { initialState: { sharedHeaders: { 'apollographql-client-name': options.client } } }
              : true,
            includeCookies: false,
          })
        : ApolloServerPluginLandingPageDisabled(),
      operationMetricsPlugin(metrics),
    ],
  });
}

/** Counts each answered operation by (bounded) name and HTTP status. */
function operationMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, operationName }) {
          metrics.graphqlRequests.inc({
            operation: metrics.operationLabel(operationName),
            status: String(response.http.status ?? 200),
          });
        },
      };
    },
  };
}

/**
 * Every error leaves with a code. Unexpected errors are logged in full and, in production,
 * answered without detail; coded errors (ours, Apollo's) keep their message.
 */
/**
 * Apollo's hideSchemaDetailsFromClientErrors strips "Did you mean …?" from validation errors
 * only; variable coercion errors (BAD_USER_INPUT) still name input fields. Same pattern as Apollo's.
 */
function withoutSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const message = formatted.message.replace(/ ?Did you mean(.+?)\?$/, '');
  return message === formatted.message ? formatted : { ...formatted, message };
}

function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  production: boolean,
  logger: Logger,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (code && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
  logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'internal error');
  if (!production)
    return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
  const masked: GraphQLFormattedError = {
    message: 'Internal server error',
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
  if (formatted.path) Object.assign(masked, { path: formatted.path });
  if (formatted.locations) Object.assign(masked, { locations: formatted.locations });
  return masked;
}
