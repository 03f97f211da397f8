import type { GraphQLContext } from '../context/graphql-context.js';
import type { ProductModel } from '../services/models.js';
import { limitArg } from './args.js';

/**
 * A user's recommended products, best first: the ids from the recommendations service (one RPC
 * for every user of the batch level), then their records from the products loader (one call for
 * every product of the level). A product that no longer exists is left out (the list holds
 * products, never nulls).
 */
export async function recommendedProducts(
  userId: string,
  limit: number,
  { loaders }: GraphQLContext,
): Promise<ProductModel[]> {
  const ids = await loaders.recommendations.load({ userId, limit: limitArg('limit', limit, 50) });
  const products = await loaders.products.loadMany(ids);
  const failed = products.find((p) => p instanceof Error);
  if (failed) throw failed;
  return products.filter((p): p is ProductModel => p !== null && !(p instanceof Error));
}
