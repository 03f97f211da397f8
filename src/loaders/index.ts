import type DataLoader from 'dataloader';
import type { ProductModel, UserModel } from '../resolvers/models.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import { createByIdLoader } from './by-id.js';
import { isProductRecord, isUserRecord } from './contract.js';
import { createNotificationsLoader } from './notifications.js';
import { createOrdersLoader } from './orders.js';

/** The per-request loaders: created for each GraphQL request, never shared between callers. */
export interface Loaders {
  users: DataLoader<string, UserModel | null>;
  products: DataLoader<string, ProductModel | null>;
  orders: ReturnType<typeof createOrdersLoader>;
  notifications: ReturnType<typeof createNotificationsLoader>;
}

/** Creates a fresh set of loaders bound to one request's call context. */
export function createLoaders(client: UpstreamClient, ctx: CallContext): Loaders {
  return {
    users: createByIdLoader<UserModel>(client, ctx, 'users', '/users', isUserRecord),
    products: createByIdLoader<ProductModel>(client, ctx, 'products', '/products', isProductRecord),
    orders: createOrdersLoader(client, ctx),
    notifications: createNotificationsLoader(client, ctx),
  };
}
