import type { GraphQLError } from 'graphql';
import { ErrorCode, gatewayError } from '../errors.js';
import type { UpstreamOutcome } from './types.js';

/**
 * An upstream failure as the GraphQL client sees it: a code and the service's name, never the
 * service's address or raw body. `status` and `serviceMessage` stay on the object (not in
 * `extensions`) so resolvers can turn a 4xx on a mutation into BAD_USER_INPUT.
 */
export interface UpstreamFailure extends GraphQLError {
  upstreamStatus: number;
  serviceMessage?: string;
  outcome: UpstreamOutcome;
  /** No connection could be made at all (refused, unreachable): certain evidence against a replica. */
  connectFailed?: boolean;
}

/** Builds the coded error for one failed call. */
export function upstreamFailure(
  service: string,
  code: ErrorCode,
  message: string,
  outcome: UpstreamOutcome,
  upstreamStatus = 0,
  serviceMessage?: string,
): UpstreamFailure {
  const error = gatewayError(code, message, { service }) as UpstreamFailure;
  error.upstreamStatus = upstreamStatus;
  error.outcome = outcome;
  if (serviceMessage !== undefined) error.serviceMessage = serviceMessage;
  return error;
}

/** Whether a value is an UpstreamFailure made by `upstreamFailure`. */
export function isUpstreamFailure(error: unknown): error is UpstreamFailure {
  return typeof error === 'object' && error !== null && 'upstreamStatus' in error && 'outcome' in error;
}

// Failures before any connection existed: nothing listens there, whatever the request was.
const connectCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// Connection-level failures: the service could not be reached or dropped the connection.
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Maps whatever undici or the abort signal threw into a coded failure for `service`. */
export function mapTransportError(service: string, error: unknown, timeoutMs: number): UpstreamFailure {
  if (isUpstreamFailure(error)) return error;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return upstreamFailure(
      service,
      ErrorCode.UPSTREAM_TIMEOUT,
      `${service} did not answer within ${timeoutMs} ms`,
      'timeout',
    );
  }
  const code = (error as { code?: string } | null)?.code;
  if (code !== undefined && (unavailableCodes.has(code) || code.startsWith('HPE_'))) {
    const failure = upstreamFailure(
      service,
      ErrorCode.UPSTREAM_UNAVAILABLE,
      `${service} is unavailable`,
      'unavailable',
    );
    // A reset can hit a healthy replica (a keep-alive socket closed under us); a refusal cannot.
    if (connectCodes.has(code)) failure.connectFailed = true;
    return failure;
  }
  return upstreamFailure(service, ErrorCode.UPSTREAM_ERROR, `${service} failed`, 'error');
}
