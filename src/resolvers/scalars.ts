import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { toUtcTimestamp } from '../services/timestamps.js';

/** The `DateTime` scalar: RFC 3339 in, UTC RFC 3339 out; anything else is an error. */
export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  description: 'RFC 3339 timestamp in UTC, e.g. 2026-11-27T12:00:00Z',
  serialize(value) {
    const out = toUtcTimestamp(value instanceof Date ? value.toISOString() : value);
    if (out === undefined)
      throw new GraphQLError('DateTime cannot represent a value that is not an RFC 3339 timestamp');
    return out;
  },
  parseValue(value) {
    const out = toUtcTimestamp(value);
    if (out === undefined) {
      throw new GraphQLError(
        'DateTime must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-27T12:00:00Z',
        {
          extensions: { code: 'BAD_USER_INPUT' },
        },
      );
    }
    return out;
  },
  parseLiteral(ast) {
    const out = ast.kind === Kind.STRING ? toUtcTimestamp(ast.value) : undefined;
    if (out === undefined) {
      throw new GraphQLError(
        'DateTime must be an RFC 3339 timestamp with a time zone, e.g. 2026-11-27T12:00:00Z',
        {
          nodes: ast,
          extensions: { code: 'BAD_USER_INPUT' },
        },
      );
    }
    return out;
  },
});
