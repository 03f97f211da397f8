import { ErrorCode, gatewayError } from '../errors.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { expectRecord } from '../loaders/batch.js';
import { isNotificationRecord, isOrderRecord } from '../loaders/contract.js';
import { isUpstreamFailure } from '../upstream/errors.js';

/** A service's 4xx on a mutation is the caller's input: BAD_USER_INPUT with the service's words. */
function asUserInputError(error: unknown): unknown {
  if (isUpstreamFailure(error) && error.upstreamStatus >= 400 && error.upstreamStatus < 500) {
    const service = (error.extensions.service as string) ?? 'upstream';
    return gatewayError(ErrorCode.BAD_USER_INPUT, error.serviceMessage ?? `${service} refused the input`, {
      service,
    });
  }
  return error;
}

export const Mutation: MutationResolvers = {
  placeOrder: async (_parent, { input }, { call, upstream, loaders, responseCache }) => {
    const headers: Record<string, string> = {};
    if (input.idempotencyKey != null) headers['idempotency-key'] = input.idempotencyKey;
    try {
      const order = expectRecord(
        'orders',
        await upstream.call(
          'orders',
          {
            method: 'POST',
            path: '/orders',
            headers,
            body: { items: input.items.map((i) => ({ productId: i.productId, quantity: i.quantity })) },
          },
          call,
        ),
        isOrderRecord,
      );
      // Later fields of this request must see the new order.
      loaders.orders.clearAll();
      // Cached answers built on this user's orders are stale now (all of the user's, at once).
      await responseCache?.invalidateUser(call.userId!);
      return order;
    } catch (error) {
      throw asUserInputError(error);
    }
  },

  markNotificationRead: async (_parent, { id }, { call, upstream, loaders, responseCache }) => {
    try {
      const notification = expectRecord(
        'notifications',
        await upstream.call(
          'notifications',
          { method: 'POST', path: `/notifications/${encodeURIComponent(id)}/read` },
          call,
        ),
        isNotificationRecord,
      );
      loaders.notifications.clearAll();
      await responseCache?.invalidateUser(call.userId!);
      return notification;
    } catch (error) {
      throw asUserInputError(error);
    }
  },
};
