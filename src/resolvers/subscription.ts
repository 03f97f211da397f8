import { ErrorCode, gatewayError } from '../errors.js';
import type { SubscriptionResolvers } from '../generated/resolvers-types.js';
import type { NotificationModel } from '../services/models.js';

/** The code each early end of a subscription is reported with. */
const endCodes = {
  unauthenticated: ErrorCode.UNAUTHENTICATED,
  slow_consumer: ErrorCode.SLOW_CONSUMER,
} as const;

/** What a subscription's source yields (subscriptions/hub.ts): a notification, or why it ends. */
type Event = { notification: NotificationModel } | { end: keyof typeof endCodes; message: string };

export const Subscription: SubscriptionResolvers = {
  notificationAdded: {
    // @auth has checked the caller: the events are the caller's own, from the stream shared by
    // all of this user's subscriptions on this instance.
    subscribe: (_parent, _args, { subscriptions, identity }) => {
      if (!subscriptions)
        throw gatewayError(
          ErrorCode.BAD_REQUEST,
          'subscriptions are served over WebSocket or server-sent events',
        );
      return subscriptions.notifications(identity.userId!) as unknown as AsyncIterable<Event>;
    },
    resolve: (event: Event) => {
      if ('end' in event) throw gatewayError(endCodes[event.end], event.message);
      return event.notification;
    },
  },
};
