import type { UserResolvers } from '../generated/resolvers-types.js';
import { limitArg } from './args.js';
import { recommendedProducts } from './recommendations.js';

export const User: UserResolvers = {
  orders: (user, { limit }, { loaders }) =>
    loaders.orders.load({ userId: user.id, limit: limitArg('limit', limit, 50) }),
  notifications: (user, { unreadOnly, limit }, { loaders }) =>
    loaders.notifications.load({ userId: user.id, unreadOnly, limit: limitArg('limit', limit, 100) }),
  recommendations: (user, { limit }, context) => recommendedProducts(user.id, limit, context),
};
