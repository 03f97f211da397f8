import type { preHandlerAsyncHookHandler } from 'fastify';
import { ErrorCode } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { batchRejection, rejectionBody } from '../operation/analyzer.js';
import { stateOf } from './state.js';

/**
 * Parse once and analyse. Each text is parsed and validated once per variant, and one
 * walk yields what the later stages need (limits, cost, cache policy, the executor's plan).
 * An operation over a limit is refused here, 400 QUERY_TOO_COMPLEX, before any upstream call.
 * A batch larger than `limits.maxOperationsPerBatch` is refused whole.
 */
export function createAnalyzeStage(
  metrics: GatewayMetrics,
  maxOperationsPerBatch: number,
): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const state = stateOf(request);
    const operations = state.operations ?? [];
    const tooMany = state.batch ? batchRejection(operations.length, maxOperationsPerBatch) : undefined;
    if (tooMany) {
      const rejection = tooMany;
      metrics.rejections.inc({ reason: rejection.limit });
      state.stats.errorCodes.push(ErrorCode.QUERY_TOO_COMPLEX);
      return reply.code(400).send(rejectionBody(rejection));
    }
    const analyzer = state.endpoint!.analyzer;
    for (const operation of operations) {
      if (typeof operation.query !== 'string') continue; // Apollo answers "no query" with 400
      const result = analyzer.analyze(operation.query, operation.operationName, operation.variables);
      if (result.kind === 'rejected') {
        metrics.rejections.inc({ reason: result.rejection.limit });
        state.stats.errorCodes.push(ErrorCode.QUERY_TOO_COMPLEX);
        return reply.code(400).send(rejectionBody(result.rejection));
      }
      if (result.kind === 'ok' && !state.batch) {
        state.analysis = result.analysis;
        state.cachePolicy = result.analysis.measure.cachePolicy;
      }
    }
  };
}
