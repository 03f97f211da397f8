import type { GraphQLError } from 'graphql';
import { ErrorCode, gatewayError } from '../errors.js';
import type { Answer } from './exchange.js';
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
  /** A streamed, passed-through answer that is still the service's failure (a 5xx): its caller may pass it on. */
  answer?: Answer;
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

/**
 * Whether a failure is the service's own: a timeout, an unreachable or reset connection, a 5xx or
 * a body off the contract. Only these count toward its breaker, its retry budget and a replica's
 * ejection: a caller's bad input, a caller that went away or a refused request say nothing about
 * the service's health, and must never let one caller open a breaker for everyone.
 */
export function countsAgainstService(outcome: UpstreamOutcome): boolean {
  return outcome === 'timeout' || outcome === 'unavailable' || outcome === 'error';
}

/**
 * Whether the service is failing, as far as a fallback is concerned: its own failures, and its
 * open breaker (which stands for them). What stale-if-error answers.
 */
export function serviceIsFailing(outcome: UpstreamOutcome): boolean {
  return countsAgainstService(outcome) || outcome === 'circuit_open';
}

/** Worth another attempt elsewhere: the service or the network failed, not the request. */
export function isRetryable(failure: UpstreamFailure): boolean {
  if (failure.outcome === 'unavailable' || failure.outcome === 'timeout') return true;
  return failure.outcome === 'error' && failure.upstreamStatus >= 500;
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

// undici refuses to send what it cannot put on the wire (a header value with a line break, a
// bad method): the request never left the gateway, so the caller's input is at fault.
const invalidRequestCodes = new Set(['UND_ERR_INVALID_ARG', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN']);

/** The caller's input could not form a request: BAD_USER_INPUT for that caller only. */
export function invalidRequest(service: string, detail = 'the request could not be sent'): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.BAD_USER_INPUT,
    `Invalid input for ${service}: ${detail}`,
    'invalid_request',
  );
}

/** The caller went away: the call was abandoned, and nothing is held against the service. */
export function abortedByCaller(service: string): UpstreamFailure {
  return upstreamFailure(
    service,
    ErrorCode.INTERNAL_SERVER_ERROR,
    'The request was abandoned by its caller',
    'aborted',
  );
}

/**
 * Maps whatever the transport or the abort signal threw into a coded failure for `service`.
 * `callerGone`: the caller's own signal had fired (not the attempt's deadline).
 */
export function mapTransportError(
  service: string,
  error: unknown,
  timeoutMs: number,
  callerGone = false,
): UpstreamFailure {
  if (isUpstreamFailure(error)) return error;
  if (callerGone) return abortedByCaller(service);
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
  if (code !== undefined && invalidRequestCodes.has(code)) return invalidRequest(service);
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
  // Anything else thrown before an answer arrived is ours (a bug), not the service's: coded as
  // an internal error, and never counted against the service.
  if (error instanceof TypeError || error instanceof RangeError) {
    return upstreamFailure(
      service,
      ErrorCode.INTERNAL_SERVER_ERROR,
      `calling ${service} failed inside the gateway`,
      'internal',
    );
  }
  return upstreamFailure(service, ErrorCode.UPSTREAM_ERROR, `${service} failed`, 'error');
}
