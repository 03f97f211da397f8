import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { Identity } from '../auth/identity.js';
import type { RateLimitBackend } from '../ratelimit/backend.js';
import { callerOf, fieldLimitsOf, limitKey, rateLimited } from './rate-limit-directive.js';

/** What the preflight decided: the calls it took quota for, or the error refusing them all. */
export type PreflightResult = { reservations: Map<string, number> } | { refused: GraphQLError };

/**
 * A mutation's `@rateLimit` fields are checked for all their calls before any runs: eleven
 * aliased `placeOrder` against `max: 10` are refused whole, before a single order is placed,
 * instead of placing ten and answering `data: null` (a mutation field is non-null, so one
 * refused alias nulls them all and the caller would never learn the ten order ids). The quota is
 * taken for every call at once (all or none, atomically); the directive then skips its own check.
 */
export function createRateLimitPreflight(schema: GraphQLSchema, backend: RateLimitBackend) {
  const mutationType = schema.getMutationType()?.name;
  const limits = fieldLimitsOf(schema);
  return async (
    rootCalls: Record<string, string[]>,
    identity: Identity,
    clientIp: string,
  ): Promise<PreflightResult> => {
    const reservations = new Map<string, number>();
    if (!mutationType) return { reservations };
    const caller = callerOf(identity, clientIp);
    for (const [field, keys] of Object.entries(rootCalls)) {
      const limit = limits.get(`${mutationType}.${field}`);
      if (!limit) continue;
      const decision = await backend.slidingLog(
        limitKey(limit, caller),
        limit.max,
        limit.windowMs,
        keys.length,
      );
      if (decision.allowed) {
        reservations.set(limit.coordinate, keys.length);
        continue;
      }
      // Reported at the field's first call, as the field itself would report it (nothing ran).
      const error = rateLimited(limit, decision.retryAfterMs, keys.length);
      return { refused: new GraphQLError(error.message, { path: [keys[0]!], extensions: error.extensions }) };
    }
    return { reservations };
  };
}
