import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { authDirectiveTransformer } from '../directives/auth-directive.js';
import { rateLimitDirectiveTransformer } from '../directives/rate-limit-directive.js';
import type { RateLimitBackend } from '../ratelimit/backend.js';
import { resolvers } from '../resolvers/index.js';

/** The base SDL; the same file in `src/` (tsx) and `dist/` (built) layouts: both sit beside `schema/`. */
export const baseSchemaPath = new URL('../../schema/schema.graphql', import.meta.url);

/**
 * Builds the executable base schema with its directives applied, once at start-up. @auth wraps
 * outermost so an unauthenticated call is refused before it spends any @rateLimit quota.
 */
export function createSchema(
  rateLimits: RateLimitBackend,
  typeDefs = readFileSync(baseSchemaPath, 'utf8'),
  onRateLimited?: (field: string) => void,
): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  return authDirectiveTransformer(rateLimitDirectiveTransformer(schema, rateLimits, onRateLimited));
}
