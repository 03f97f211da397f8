import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// RFC 3339 date-time: a full date, a time, and a zone (Z or ±hh:mm). Date.parse alone would
// accept "2026-11-27" or "Nov 27 2026", which are not timestamps.
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Whether `toUtcTimestamp` would accept the value: the same test without building the UTC string
 * (toISOString is most of its cost), for checks that only need a yes or no.
 */
export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && rfc3339.test(value) && !Number.isNaN(Date.parse(value));
}

/** Normalises an RFC 3339 string to UTC (`2026-11-27T12:00:00Z`), or returns undefined. */
export function toUtcTimestamp(value: unknown): string | undefined {
  if (!isTimestamp(value)) return undefined;
  const iso = new Date(Date.parse(value)).toISOString();
  // Whole seconds print without ".000", as the services and the schema's example do.
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

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
