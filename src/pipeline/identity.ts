import type { preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import { ErrorCode, errorBody } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { stateOf } from './state.js';

/**
 * Who calls. Credentials are checked before anything else sees the request: an invalid
 * token or API key rejects the whole request with 401 UNAUTHENTICATED, whatever it asks for.
 * The fan-out report names services and paths: in production only an admin gets it.
 */
export function createIdentityStage(
  authenticator: Authenticator,
  metrics: GatewayMetrics,
  production: boolean,
): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    try {
      state.identity = await authenticator.authenticate(request.headers);
    } catch (error) {
      const coded = error as { message?: string; extensions?: { code?: string } };
      if (coded.extensions?.code !== ErrorCode.UNAUTHENTICATED) throw error;
      metrics.rejections.inc({ reason: 'authentication' });
      state.stats.errorCodes.push(ErrorCode.UNAUTHENTICATED);
      return reply.code(401).send(errorBody(ErrorCode.UNAUTHENTICATED, coded.message ?? 'Unauthenticated'));
    }
    const identity = state.identity;
    if (production && !(identity.userId !== undefined && identity.role === 'ADMIN'))
      delete state.stats.fanout;
  };
}
