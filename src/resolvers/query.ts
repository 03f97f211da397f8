import { ErrorCode, gatewayError } from '../errors.js';
import type { QueryResolvers } from '../generated/resolvers-types.js';
import type { ProductModel } from '../services/models.js';

/** More ids than this in one `products` call is refused: it would cost several upstream calls. */
export const maxProductIds = 500;

export const Query: QueryResolvers = {
  // @auth guarantees a user id; fields load their parts from it, so the user, orders and
  // notifications calls all start at once instead of waiting for the user.
  dashboard: (_parent, _args, { identity }) => ({ userId: identity.userId! }),

  me: (_parent, _args, { identity, loaders }) => loaders.users.load(identity.userId!),

  user: (_parent, { id }, { loaders }) => loaders.users.load(id),

  products: async (_parent, { ids }, { loaders }) => {
    if (ids.length > maxProductIds) {
      throw gatewayError(ErrorCode.BAD_USER_INPUT, `products takes at most ${maxProductIds} ids`, {
        argumentName: 'ids',
      });
    }
    const products = await loaders.products.loadMany(ids);
    // The list is non-null: if the service failed, fail the field once, not once per id.
    const failed = products.find((p) => p instanceof Error);
    if (failed) throw failed;
    return products as (ProductModel | null)[];
  },
};
