import type { preHandlerAsyncHookHandler } from 'fastify';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { stateOf } from './state.js';

/**
 * A mutation's `@rateLimit` fields are checked for all their calls (aliases) before any runs:
 * the whole operation is refused (`data: null`, RATE_LIMITED at the field's first alias, as the
 * field itself reports it) with nothing created, or each call's quota is reserved so it runs
 * without counting again. A caller always learns what was created: all of it, or nothing.
 */
export function createMutationLimitsStage(metrics: GatewayMetrics): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    const analysis = state.analysis;
    if (analysis?.operation.operation !== 'mutation') return;
    const result = await state.endpoint!.preflight(analysis.measure.rootCalls, state.identity!, request.ip);
    if ('reservations' in result) {
      state.rateLimitReservations = result.reservations;
      return;
    }
    metrics.rejections.inc({ reason: 'field_rate_limit' });
    state.stats.errorCodes.push(String(result.refused.extensions.code));
    const { message, path, extensions } = result.refused;
    return reply.code(200).send({ errors: [{ message, path, extensions }], data: null });
  };
}
