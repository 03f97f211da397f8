import { ErrorCode, gatewayError } from '../errors.js';
import type { MutationResolvers } from '../generated/resolvers-types.js';
import { expectRecord } from '../loaders/batch.js';
import { isNotificationRecord, isOrderRecord } from '../services/contract.js';
import { isUpstreamFailure } from '../upstream/errors.js';
import { pathSegment } from '../upstream/path.js';

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

// An idempotency key travels as a header: visible ASCII only, and bounded.
const idempotencyKeyPattern = /^[\x21-\x7e]{1,255}$/;

/** The key as sent, or BAD_USER_INPUT for this caller: a key a header cannot carry never reaches the service. */
function idempotencyKeyOf(key: string): string {
  if (idempotencyKeyPattern.test(key)) return key;
  throw gatewayError(
    ErrorCode.BAD_USER_INPUT,
    'input.idempotencyKey must be 1 to 255 visible ASCII characters (it travels as a header)',
    { argumentName: 'input' },
  );
}

export const Mutation: MutationResolvers = {
  placeOrder: async (_parent, { input }, { call, upstream, loaders, onMutation }) => {
    const headers: Record<string, string> = {};
    if (input.idempotencyKey != null) headers['idempotency-key'] = idempotencyKeyOf(input.idempotencyKey);
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
      await onMutation?.(call.userId!);
      return order;
    } catch (error) {
      throw asUserInputError(error);
    }
  },

  markNotificationRead: async (_parent, { id }, { call, upstream, loaders, onMutation }) => {
    const segment = pathSegment(id);
    if (segment === undefined) {
      throw gatewayError(ErrorCode.BAD_USER_INPUT, 'id must be a notification id, not "", "." or ".."');
    }
    try {
      const notification = expectRecord(
        'notifications',
        await upstream.call(
          'notifications',
          { method: 'POST', path: `/notifications/${segment}/read` },
          call,
        ),
        isNotificationRecord,
      );
      loaders.notifications.clearAll();
      await onMutation?.(call.userId!);
      return notification;
    } catch (error) {
      throw asUserInputError(error);
    }
  },
};
