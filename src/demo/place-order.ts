import type { DemoData, DemoOrder, DemoOrderItem } from './data.js';
import { DEMO_CURRENCY } from './data.js';
import { HttpError, requiredHeader } from './request-input.js';
import type { DemoReply, DemoStore, RouteRequest } from './routes.js';
import { formatTimestamp } from './seeded.js';

const MAX_ORDER_ITEMS = 50;
const MAX_QUANTITY = 100;

/** POST /orders: validates, honours Idempotency-Key per user, and files the order first in its user's list. */
export function placeOrder({ headers, body }: RouteRequest, store: DemoStore): DemoReply {
  const { data } = store;
  const userId = requiredHeader(headers, 'x-user-id');
  if (!data.users.has(userId)) throw new HttpError(400, `unknown user ${userId}`);
  const key = headers['idempotency-key'];
  const idempotencyKey = typeof key === 'string' && key !== '' ? `${userId}\n${key}` : undefined;
  // Looked up before the body is validated: a retry gets its order back, whatever it resends.
  const previous = idempotencyKey ? store.idempotentOrders.get(idempotencyKey) : undefined;
  if (previous) return created(previous);

  const items = orderItems(body, data);
  const history = data.ordersByUser.get(userId) ?? [];
  const newest = history[0] ? Date.parse(history[0].createdAt) / 1000 : 0;
  const order: DemoOrder = {
    id: `o${store.nextOrderNumber++}`,
    userId,
    status: 'PENDING',
    items,
    total: {
      amount: items.reduce((sum, item) => sum + item.quantity * item.unitPrice.amount, 0),
      currency: DEMO_CURRENCY,
    },
    // Never older than the user's newest order, so newest-first stays true even with a clock
    // behind the seeded instant or two orders within one second.
    createdAt: formatTimestamp(Math.max(Math.floor(Date.now() / 1000), newest + 1)),
  };
  data.orders.set(order.id, order);
  // In place, so anyone holding the seeded list sees the new order first too.
  history.unshift(order);
  data.ordersByUser.set(userId, history);
  if (idempotencyKey) store.idempotentOrders.set(idempotencyKey, order);
  // Only a new order is announced: a replayed key returned above, and announces nothing again.
  store.onOrderPlaced?.(order);
  return created(order);
}

function created(order: DemoOrder): DemoReply {
  return { status: 201, body: order, headers: { location: `/orders/${order.id}` } };
}

function orderItems(body: unknown, data: DemoData): DemoOrderItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object with an items array');
  }
  const { items } = body as { items?: unknown };
  if (!Array.isArray(items)) throw new HttpError(400, 'items must be an array');
  if (items.length < 1 || items.length > MAX_ORDER_ITEMS) {
    throw new HttpError(400, `items must hold 1 to ${MAX_ORDER_ITEMS} entries, got ${items.length}`);
  }
  return items.map((item: unknown, index) => {
    const fields: Record<string, unknown> = typeof item === 'object' && item !== null ? { ...item } : {};
    const { productId, quantity } = fields;
    if (typeof productId !== 'string') throw new HttpError(400, `items[${index}].productId must be a string`);
    const product = data.products.get(productId);
    if (!product) throw new HttpError(400, `unknown product ${productId}`);
    if (
      typeof quantity !== 'number' ||
      !Number.isInteger(quantity) ||
      quantity < 1 ||
      quantity > MAX_QUANTITY
    ) {
      throw new HttpError(400, `items[${index}].quantity must be an integer from 1 to ${MAX_QUANTITY}`);
    }
    return { productId, quantity, unitPrice: product.price };
  });
}
