import { makeExecutableSchema } from '@graphql-tools/schema';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { loadBaseSchema } from '../clients/compose.js';
import { authDirectiveTransformer } from '../directives/auth-directive.js';
import { rateLimitDirectiveTransformer } from '../directives/rate-limit-directive.js';
import { restDirectiveTransformer } from '../directives/rest/transformer.js';
import type { RateLimitBackend } from '../ratelimit/backend.js';
import { reportDegradedFields } from '../resolvers/degraded-fields.js';
import { resolvers } from '../resolvers/index.js';

export interface SchemaOptions {
  /** The SDL: the base document, then a client's extension (default: the base schema alone). */
  typeDefs?: DocumentNode[];
  onRateLimited?: (field: string) => void;
  /** Whether a `@rest` field's service is under `upstreams` (default: all are). */
  isDeclared?: (service: string) => boolean;
  /** Some service has stale-if-error: fields report answers from stale records (`extensions.degraded`). */
  trackStale?: boolean;
}

/**
 * Builds one executable schema with its directives applied, once at start-up per variant.
 * @auth wraps outermost so an unauthenticated call is refused before it spends any @rateLimit
 * quota or makes a @rest call.
 */
export function createSchema(rateLimits: RateLimitBackend, options: SchemaOptions = {}): GraphQLSchema {
  const typeDefs = options.typeDefs ?? [loadBaseSchema().document];
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  const withRest = restDirectiveTransformer(schema, options.isDeclared ?? (() => true));
  const directed = authDirectiveTransformer(
    rateLimitDirectiveTransformer(withRest, rateLimits, options.onRateLimited),
  );
  return options.trackStale ? reportDegradedFields(directed) : directed;
}
