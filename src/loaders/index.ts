import type DataLoader from 'dataloader';
import { isNotificationRecord, isOrderRecord, isProductRecord, isUserRecord } from '../services/contract.js';
import type { NotificationModel, OrderModel, ProductModel, UserModel } from '../services/models.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { createByIdLoader } from './by-id.js';
import { createPerUserLoader, type PerUserKey } from './per-user.js';
import { createRecommendationsLoader, type RecommendationsKey } from './recommendations.js';

/** Notifications of one user, at most `limit`, newest first, optionally unread only. */
export interface NotificationsKey extends PerUserKey {
  unreadOnly: boolean;
}

/** The per-request loaders: created for each GraphQL request, never shared between callers. */
export interface Loaders {
  users: DataLoader<string, UserModel | null>;
  products: DataLoader<string, ProductModel | null>;
  orders: DataLoader<PerUserKey, OrderModel[], string>;
  notifications: DataLoader<NotificationsKey, NotificationModel[], string>;
  /** Product ids recommended per user (the gRPC recommendations service). */
  recommendations: DataLoader<RecommendationsKey, string[], string>;
}

/** Creates a fresh set of loaders bound to one request's call context. */
export function createLoaders(client: UpstreamClient, ctx: CallContext): Loaders {
  return {
    users: createByIdLoader<UserModel>(client, ctx, 'users', '/users', isUserRecord),
    products: createByIdLoader<ProductModel>(client, ctx, 'products', '/products', isProductRecord),
    orders: createPerUserLoader<PerUserKey, OrderModel>(client, ctx, {
      service: 'orders',
      path: '/orders',
      isRecord: isOrderRecord,
    }),
    notifications: createPerUserLoader<NotificationsKey, NotificationModel>(client, ctx, {
      service: 'notifications',
      path: '/notifications',
      isRecord: isNotificationRecord,
      filterOf: (k) => ({ unreadOnly: String(k.unreadOnly) }),
    }),
    recommendations: createRecommendationsLoader(client, ctx),
  };
}
