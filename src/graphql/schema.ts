import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { authDirectiveTransformer } from '../directives/auth-directive.js';
import { resolvers } from '../resolvers/index.js';

/** The base SDL; the same file in `src/` (tsx) and `dist/` (built) layouts: both sit beside `schema/`. */
export const baseSchemaPath = new URL('../../schema/schema.graphql', import.meta.url);

/** Builds the executable base schema with its directives applied. Done once at start-up. */
export function createSchema(typeDefs = readFileSync(baseSchemaPath, 'utf8')): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs, resolvers });
  return authDirectiveTransformer(schema);
}
