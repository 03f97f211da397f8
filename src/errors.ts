import { GraphQLError } from 'graphql';

/**
 * Every error code Switchboard emits, with the HTTP status it implies when it rejects a whole
 * request. Field-level errors (partial results) keep HTTP 200 whatever their code.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
  // Apollo's two APQ answers (HTTP 200: the client then sends the full text), then ours.
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  PERSISTED_QUERY_HASH_MISMATCH: 'PERSISTED_QUERY_HASH_MISMATCH',
  PERSISTED_QUERY_NOT_ALLOWED: 'PERSISTED_QUERY_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOT_FOUND: 'NOT_FOUND',
  // A proxied route answers only the methods it lists (with `Allow`).
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  // A subscription's consumer fell too far behind: it was ended, not buffered without bound.
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status for a request rejected as a whole with this code. */
export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RATE_LIMITED: 429,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_UNAVAILABLE: 503,
  UPSTREAM_ERROR: 502,
  BAD_USER_INPUT: 400,
  QUERY_TOO_COMPLEX: 400,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_NOT_SUPPORTED: 200,
  PERSISTED_QUERY_HASH_MISMATCH: 400,
  PERSISTED_QUERY_NOT_ALLOWED: 400,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SERVICE_UNAVAILABLE: 503,
  SLOW_CONSUMER: 200,
  INTERNAL_SERVER_ERROR: 500,
};

/** Extensions every Switchboard error may carry beyond `code`. */
export interface ErrorExtras {
  /** The upstream service the error came from (UPSTREAM_* and mapped 4xx). */
  service?: string;
  /** Reject the whole HTTP request with this code's status (request-level errors only). */
  httpStatus?: boolean;
  [key: string]: unknown;
}

/** Builds a GraphQLError with a stable `extensions.code`. */
export function gatewayError(code: ErrorCode, message: string, extras: ErrorExtras = {}): GraphQLError {
  const { httpStatus, ...rest } = extras;
  const extensions: Record<string, unknown> = { code, ...rest };
  if (httpStatus) extensions.http = { status: httpStatusOf[code] };
  return new GraphQLError(message, { extensions });
}

/** The upstream codes, for callers that branch on "did a service fail". */
export const upstreamCodes: ReadonlySet<string> = new Set([
  ErrorCode.UPSTREAM_TIMEOUT,
  ErrorCode.UPSTREAM_UNAVAILABLE,
  ErrorCode.UPSTREAM_ERROR,
]);

/** A request-level error in the GraphQL response shape, so clients parse one format everywhere. */
export function errorBody(
  code: ErrorCode,
  message: string,
  extras: Record<string, unknown> = {},
): { errors: { message: string; extensions: Record<string, unknown> }[] } {
  return { errors: [{ message, extensions: { code, ...extras } }] };
}

/** A 429 body: RATE_LIMITED with when to retry. */
export function rateLimitedBody(message: string, retryAfterSeconds: number) {
  return errorBody(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
}
