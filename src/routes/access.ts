import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { TierLimiter } from '../ratelimit/tiers.js';
import { sendError } from './reply.js';
import type { Route } from './table.js';

export interface AccessDeps {
  authenticator: Authenticator;
  tiers: TierLimiter;
  metrics: GatewayMetrics;
}

/**
 * Who may use a route, in the order GraphQL's stages decide it: the caller's credentials (a
 * present but invalid token or key is 401 whatever the route asks), the route's `auth` level
 * (`user`: a valid JWT, else 401; `admin`: 403 for anyone else), then the caller's tier quota,
 * which counts each proxied request and puts its RateLimit headers on every answer. Resolves
 * with the identity when the request may go on; otherwise it has answered.
 */
export async function admit(
  request: FastifyRequest,
  reply: FastifyReply,
  route: Route,
  deps: AccessDeps,
): Promise<Identity | undefined> {
  let identity: Identity;
  try {
    identity = await deps.authenticator.authenticate(request.headers);
  } catch (error) {
    const coded = error as { message?: string; extensions?: { code?: string } };
    if (coded.extensions?.code !== ErrorCode.UNAUTHENTICATED) throw error;
    deps.metrics.rejections.inc({ reason: 'authentication' });
    sendError(reply, ErrorCode.UNAUTHENTICATED, { message: coded.message ?? 'Unauthenticated' });
    return undefined;
  }
  if (route.auth !== 'none' && identity.userId === undefined) {
    deps.metrics.rejections.inc({ reason: 'authentication' });
    sendError(reply, ErrorCode.UNAUTHENTICATED, { message: 'This route needs a valid bearer token' });
    return undefined;
  }
  if (route.auth === 'admin' && identity.role !== 'ADMIN') {
    sendError(reply, ErrorCode.FORBIDDEN, { message: 'This route is for administrators' });
    return undefined;
  }
  let verdict: Awaited<ReturnType<TierLimiter['check']>>;
  try {
    verdict = await deps.tiers.check(identity, request.ip);
  } catch (error) {
    // failOpen: false and the shared store is down: refuse rather than serve unlimited.
    const coded = error as { message?: string; extensions?: { code?: string } };
    if (coded.extensions?.code !== ErrorCode.SERVICE_UNAVAILABLE) throw error;
    void reply.header('retry-after', '1');
    sendError(reply, ErrorCode.SERVICE_UNAVAILABLE, { message: coded.message ?? 'Service unavailable' });
    return undefined;
  }
  void reply.headers(verdict.headers);
  if (verdict.retryAfterSeconds === undefined) return identity;
  deps.metrics.rejections.inc({ reason: 'rate_limit' });
  void reply.header('retry-after', String(verdict.retryAfterSeconds));
  sendError(reply, ErrorCode.RATE_LIMITED, {
    message: verdict.message!,
    retryAfterSeconds: verdict.retryAfterSeconds,
  });
  return undefined;
}
