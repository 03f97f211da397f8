import type { FastifyReply } from 'fastify';
import { type ErrorCode, httpStatusOf } from '../errors.js';

/** The body of every answer a route gives itself: `{ "error": { "code": ..., ... } }`. */
export interface RouteErrorBody {
  error: { code: ErrorCode; service?: string; message?: string; retryAfterSeconds?: number };
}

/**
 * Answers a proxied request with a coded JSON error instead of the service's answer: REST
 * callers read one shape, `{ "error": { "code" } }`, with the code's HTTP status, plus
 * `service` when the service gave no answer (502, 503, 504).
 */
export function sendError(
  reply: FastifyReply,
  code: ErrorCode,
  extras: Omit<RouteErrorBody['error'], 'code'> = {},
): FastifyReply {
  const status = httpStatusOf[code];
  // RFC 9110 §15.5.2: a 401 says how to authenticate.
  if (status === 401) void reply.header('www-authenticate', 'Bearer');
  const body: RouteErrorBody = { error: { code, ...extras } };
  return reply.code(status).type('application/json').send(body);
}
