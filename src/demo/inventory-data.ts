// The inventory service's stock levels: a separate system with its own numbers, so they agree
// with nothing the products service says (a product may be `inStock` there and 0 here).
import type { Random } from './seeded.js';
import { DAY, EPOCH_SECONDS, formatTimestamp, int, mulberry32, pick } from './seeded.js';

/** One product's stock, as GET /stock and GET /stock/{productId} answer it. */
export interface DemoStock {
  productId: string;
  available: number;
  warehouse: string;
  updatedAt: string;
}

const WAREHOUSES = ['AMS-1', 'AMS-2', 'FRA-1', 'DUB-1', 'WAW-1'];
// Mixed into the seed so stock comes from its own random stream: adding or changing stock can
// never shift the users, orders or products that tests and benchmarks pin exactly.
const STOCK_STREAM = 0x5eed_57c0;
// A share big enough that any page of products shows some sold out.
const SOLD_OUT_SHARE = 0.15;

/** Stock for products p1…p`productCount`, the same for the same seed. */
export function createStock(seed: number, productCount: number): Map<string, DemoStock> {
  const random = mulberry32(seed ^ STOCK_STREAM);
  const stock = new Map<string, DemoStock>();
  for (let n = 1; n <= productCount; n++) {
    const productId = `p${n}`;
    stock.set(productId, {
      productId,
      available: available(random),
      warehouse: pick(random, WAREHOUSES),
      // Counted within the last 30 days before the data set's fixed instant.
      updatedAt: formatTimestamp(EPOCH_SECONDS - int(random, 60, 30 * DAY)),
    });
  }
  return stock;
}

function available(random: Random): number {
  return random() < SOLD_OUT_SHARE ? 0 : int(random, 1, 250);
}
