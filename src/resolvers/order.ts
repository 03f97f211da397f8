import type { OrderItemResolvers } from '../generated/resolvers-types.js';

export const OrderItem: OrderItemResolvers = {
  // Every item of every order resolves in the same tick: one products call for all of them.
  product: (item, _args, { loaders }) => loaders.products.load(item.productId),
};
