import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { type Role, roleSatisfies } from '../auth/identity.js';
import type { GraphQLContext } from '../context/graphql-context.js';
import { ErrorCode, gatewayError } from '../errors.js';

/**
 * `@auth(requires: Role = USER)` on a field or a whole type. Applied once at start-up with
 * `mapSchema`: each protected field's resolver is wrapped, so enforcement costs one check per
 * resolved field and nothing for unprotected ones.
 */
export function authDirectiveTransformer(schema: GraphQLSchema, directiveName = 'auth'): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, _fieldName, typeName) => {
      const onField = getDirective(schema, fieldConfig, directiveName)?.[0];
      const type = schema.getType(typeName);
      const onType = type ? getDirective(schema, type, directiveName)?.[0] : undefined;
      const rule = onField ?? onType;
      if (!rule) return fieldConfig;
      const requires = (rule.requires ?? 'USER') as Role;
      const check = (context: GraphQLContext, field: string) => {
        const { identity } = context;
        if (!identity.userId)
          throw gatewayError(ErrorCode.UNAUTHENTICATED, `${field} requires a signed-in user`);
        if (!roleSatisfies(identity.role, requires)) {
          throw gatewayError(ErrorCode.FORBIDDEN, `${field} requires the ${requires} role`);
        }
      };
      const resolve: GraphQLFieldResolver<unknown, GraphQLContext> =
        fieldConfig.resolve ?? defaultFieldResolver;
      fieldConfig.resolve = (source, args, context: GraphQLContext, info) => {
        check(context, info.fieldName);
        return resolve(source, args, context, info);
      };
      // A subscription field is checked before it subscribes: no upstream stream for an unchecked caller.
      const subscribe = fieldConfig.subscribe;
      if (subscribe) {
        fieldConfig.subscribe = (source, args, context: GraphQLContext, info) => {
          check(context, info.fieldName);
          return subscribe(source, args, context, info);
        };
      }
      return fieldConfig;
    },
  });
}
