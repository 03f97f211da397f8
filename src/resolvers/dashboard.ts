import { ErrorCode, gatewayError } from '../errors.js';
import type { DashboardResolvers } from '../generated/resolvers-types.js';
import { limitArg } from './args.js';
import { recommendedProducts } from './recommendations.js';

/**
 * Unread notifications are counted from one unread-only call of the services' largest page
 * (100): the contract has no count endpoint, so the count saturates at 100.
 */
export const unreadCountPage = 100;

export const Dashboard: DashboardResolvers = {
  user: async ({ userId }, _args, { loaders }) => {
    const user = await loaders.users.load(userId);
    // A valid token for a user the users service does not know: the identity names nobody.
    if (!user) throw gatewayError(ErrorCode.UNAUTHENTICATED, 'the signed-in user does not exist');
    return user;
  },
  recentOrders: ({ userId }, { limit }, { loaders }) =>
    loaders.orders.load({ userId, limit: limitArg('limit', limit, 50) }),
  notifications: ({ userId }, { unreadOnly, limit }, { loaders }) =>
    loaders.notifications.load({ userId, unreadOnly, limit: limitArg('limit', limit, 100) }),
  unreadCount: async ({ userId }, _args, { loaders, degraded }, info) => {
    const unread = await loaders.notifications.load({ userId, unreadOnly: true, limit: unreadCountPage });
    // A count computed from stale records is stale too; the degraded report can't see that in a number.
    degraded?.noteDerived(info.path, unread);
    return unread.length;
  },
  recommendations: ({ userId }, { limit }, context) => recommendedProducts(userId, limit, context),
};
