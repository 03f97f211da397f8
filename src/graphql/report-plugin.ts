import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../context/graphql-context.js';

const breakerStates = ['closed', 'half-open', 'open'] as const;

/**
 * Feeds the request's stats from Apollo (operation name and type, error codes) and adds the
 * reports a caller can read in the response itself:
 * - `extensions.fanout` when asked for (`x-switchboard-trace: 1`): every upstream call (service,
 *   method, path, batch size, status, duration, retry) and every answer given without one (HTTP
 *   cache, entity cache, stale), plus the breaker state of each service called: what the IDE shows;
 * - `extensions.degraded` when some field was answered from stale records.
 */
export function reportPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName, operation }) {
          const stats = contextValue.stats;
          if (!stats) return;
          if (operationName) stats.operationName = operationName;
          if (operation) stats.operationType = operation.operation;
        },
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const stats = contextValue.stats;
          if (stats) {
            for (const error of result.errors ?? []) {
              const code = error.extensions?.code;
              if (typeof code === 'string' && !stats.errorCodes.includes(code)) stats.errorCodes.push(code);
            }
          }
          const extensions: Record<string, unknown> = {};
          if (stats?.fanout) {
            const called = new Set(stats.fanout.map((call) => call.service));
            extensions.fanout = {
              engine: stats.engine,
              upstreamCalls: stats.upstreamCalls,
              upstreamMs: Math.round(stats.upstreamMs * 10) / 10,
              calls: stats.fanout,
              services: contextValue.upstream
                .health()
                .filter((s) => called.has(s.service))
                .map((s) => ({
                  service: s.service,
                  breaker: breakerStates[s.breaker],
                  ejectedReplicas: s.ejected,
                })),
            };
          }
          const degraded = contextValue.degraded?.fields;
          if (degraded?.length) extensions.degraded = degraded;
          if (Object.keys(extensions).length > 0) result.extensions = { ...result.extensions, ...extensions };
        },
      };
    },
  };
}
