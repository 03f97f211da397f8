import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLContext } from '../graphql/context.js';

/**
 * Feeds the request's stats from Apollo (operation name and type, error codes) and, when the
 * caller asked for it, adds the fan-out report: `extensions.fanout` lists every upstream call
 * (service, method, path, batch size, status, duration, cache hit) in the response itself, where
 * the sandbox shows it.
 */
export function observabilityPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operationName, operation }) {
          const stats = contextValue.call.stats;
          if (!stats) return;
          if (operationName) stats.operationName = operationName;
          if (operation) stats.operationType = operation.operation;
        },
        async willSendResponse({ contextValue, response }) {
          const stats = contextValue.call?.stats;
          if (!stats || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          for (const error of result.errors ?? []) {
            const code = error.extensions?.code;
            if (typeof code === 'string' && !stats.errorCodes.includes(code)) stats.errorCodes.push(code);
          }
          if (stats.fanout) {
            result.extensions = {
              ...result.extensions,
              fanout: {
                upstreamCalls: stats.upstreamCalls,
                upstreamMs: Math.round(stats.upstreamMs * 10) / 10,
                calls: stats.fanout,
              },
            };
          }
        },
      };
    },
  };
}
