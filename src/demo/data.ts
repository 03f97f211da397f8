import type {
  MoneyModel,
  NotificationModel,
  OrderItemModel,
  OrderModel,
  ProductModel,
  UserModel,
} from '../services/models.js';
import type { DemoStock } from './inventory-data.js';
import { createStock } from './inventory-data.js';
import type { Random } from './seeded.js';
import { DAY, EPOCH_SECONDS, formatTimestamp, int, mulberry32, pick, skewed } from './seeded.js';

export type { DemoStock } from './inventory-data.js';

// The demo's records are the services' record shapes (src/services/models.ts): one definition
// of what the contract's services answer, for the gateway that reads them and the demo that writes them.
export type DemoMoney = MoneyModel;
export type DemoUser = UserModel;
export type DemoProduct = ProductModel;
export type DemoOrderItem = OrderItemModel;
export type DemoOrderStatus = OrderModel['status'];
export type DemoOrder = OrderModel;
export type DemoNotification = NotificationModel;

export interface DemoData {
  users: Map<string, DemoUser>;
  products: Map<string, DemoProduct>;
  orders: Map<string, DemoOrder>;
  /** Every user has an entry; newest first. */
  ordersByUser: Map<string, DemoOrder[]>;
  notifications: Map<string, DemoNotification>;
  /** Every user has an entry; newest first. */
  notificationsByUser: Map<string, DemoNotification[]>;
  /** The inventory service's stock, by product id; every product has an entry. */
  stock: Map<string, DemoStock>;
}

export const DEFAULT_DEMO_SEED = 42;
export const DEMO_USER_COUNT = 1000;
export const DEMO_PRODUCT_COUNT = 500;
export const DEMO_CURRENCY = 'USD';

// Every timestamp counts back from EPOCH_SECONDS; the ranges below keep every order and
// notification younger than its user.

// biome-ignore format: a word list reads better packed
const FIRST_NAMES = [
  'Ada', 'Alan', 'Amara', 'Ben', 'Chloe', 'Diego', 'Elena', 'Farah', 'Grace', 'Hiro', 'Ines', 'Jonas',
  'Kai', 'Leila', 'Marta', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Vera',
  'Wei', 'Yusuf', 'Zoe',
];
// biome-ignore format: a word list reads better packed
const LAST_NAMES = [
  'Andersen', 'Baker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jensen',
  'Kowalski', 'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Umar',
  'Varga', 'Weber', 'Young', 'Zhang',
];
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net'];
// biome-ignore format: a word list reads better packed
const ADJECTIVES = [
  'Compact', 'Classic', 'Deluxe', 'Ergonomic', 'Handmade', 'Lightweight', 'Rugged', 'Sleek',
];
const MATERIALS = ['Bamboo', 'Ceramic', 'Cotton', 'Leather', 'Oak', 'Steel', 'Walnut', 'Wool'];
// biome-ignore format: a word list reads better packed
const NOUNS = [
  'Backpack', 'Blanket', 'Bottle', 'Chair', 'Desk Lamp', 'Headphones', 'Kettle', 'Keyboard', 'Mug',
  'Notebook', 'Speaker', 'Sweater', 'Teapot', 'Wallet', 'Watch',
];
const SYSTEM_MESSAGES = [
  'Your password was changed.',
  'New sign-in from Firefox on Linux.',
  'New sign-in from Safari on iPhone.',
  'Scheduled maintenance on Sunday at 02:00 UTC.',
  'Please confirm your email address.',
  'Our terms of service have been updated.',
];
const ORDER_MESSAGES: Record<DemoOrderStatus, (id: string) => string> = {
  PENDING: (id) => `We received your order ${id}.`,
  PAID: (id) => `Payment confirmed for order ${id}.`,
  SHIPPED: (id) => `Your order ${id} has shipped.`,
  DELIVERED: (id) => `Your order ${id} was delivered.`,
  CANCELLED: (id) => `Your order ${id} was cancelled.`,
};

/** Builds the demo data set; the same seed always gives the same data, each call a fresh copy. */
export function createDemoData(seed: number = DEFAULT_DEMO_SEED): DemoData {
  const random = mulberry32(seed);
  const data: DemoData = {
    users: new Map(),
    products: new Map(),
    orders: new Map(),
    ordersByUser: new Map(),
    notifications: new Map(),
    notificationsByUser: new Map(),
    stock: createStock(seed, DEMO_PRODUCT_COUNT),
  };
  const productList = buildProducts(random, data.products);
  let orderCount = 0;
  let notificationCount = 0;
  for (let n = 1; n <= DEMO_USER_COUNT; n++) {
    const user = buildUser(random, n);
    data.users.set(user.id, user);
    // u1 and u2 carry the demo dashboard, so they must never come out empty.
    const featured = n <= 2;
    const orders = buildOrders(
      random,
      user.id,
      featured ? int(random, 5, 30) : skewed(random, 0, 30),
      orderCount,
      productList,
    );
    orderCount += orders.length;
    data.ordersByUser.set(user.id, orders);
    for (const order of orders) data.orders.set(order.id, order);
    const count = featured ? int(random, 10, 40) : skewed(random, 0, 40);
    const notifications = buildNotifications(random, user.id, count, notificationCount, orders, productList);
    if (featured) for (const notification of notifications.slice(0, 5)) notification.read = false;
    notificationCount += notifications.length;
    data.notificationsByUser.set(user.id, notifications);
    for (const notification of notifications) data.notifications.set(notification.id, notification);
  }
  return data;
}

function buildProducts(random: Random, products: Map<string, DemoProduct>): DemoProduct[] {
  for (let n = 1; n <= DEMO_PRODUCT_COUNT; n++) {
    const name = `${pick(random, ADJECTIVES)} ${pick(random, MATERIALS)} ${pick(random, NOUNS)}`;
    products.set(`p${n}`, {
      id: `p${n}`,
      name,
      price: Object.freeze(money(productPrice(random))),
      inStock: random() < 0.9,
    });
  }
  return [...products.values()];
}

/** Mostly cheap items, some mid-range, a few expensive ones; always ending in 99 cents. */
function productPrice(random: Random): number {
  const tier = random();
  const dollars = tier < 0.4 ? int(random, 0, 9) : tier < 0.85 ? int(random, 10, 99) : int(random, 100, 999);
  return dollars * 100 + 99;
}

function money(amount: number): DemoMoney {
  return { amount, currency: DEMO_CURRENCY };
}

function buildUser(random: Random, n: number): DemoUser {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  return {
    id: `u${n}`,
    name: `${first} ${last}`,
    // The number keeps emails unique however the names repeat.
    email: `${first}.${last}${n}@${pick(random, EMAIL_DOMAINS)}`.toLowerCase(),
    role: n === 1 ? 'ADMIN' : 'USER',
    createdAt: formatTimestamp(EPOCH_SECONDS - int(random, 400 * DAY, 1500 * DAY)),
  };
}

/** Strictly decreasing instants (newest first), at least one second apart. */
function timeline(random: Random, count: number, maxGapSeconds: number): number[] {
  const instants: number[] = [];
  let at = EPOCH_SECONDS - int(random, 60, 6 * 3600);
  for (let i = 0; i < count; i++) {
    instants.push(at);
    at -= int(random, 60, maxGapSeconds);
  }
  return instants;
}

function statusFor(random: Random, ageSeconds: number): DemoOrderStatus {
  if (random() < 0.05) return 'CANCELLED';
  const days = ageSeconds / DAY;
  if (days < 2) return random() < 0.5 ? 'PENDING' : 'PAID';
  if (days < 7) return random() < 0.5 ? 'PAID' : 'SHIPPED';
  if (days < 14) return random() < 0.5 ? 'SHIPPED' : 'DELIVERED';
  return 'DELIVERED';
}

function buildOrders(
  random: Random,
  userId: string,
  count: number,
  idOffset: number,
  products: DemoProduct[],
): DemoOrder[] {
  // 30 orders at most 12 days apart stay within 400 days, younger than any user.
  return timeline(random, count, 12 * DAY).map((at, index) => {
    const items = pickItems(random, products);
    const total = items.reduce((sum, item) => sum + item.quantity * item.unitPrice.amount, 0);
    return {
      // Ids grow with time within a user: the oldest order gets the smallest number.
      id: `o${idOffset + count - index}`,
      userId,
      status: statusFor(random, EPOCH_SECONDS - at),
      items,
      total: money(total),
      createdAt: formatTimestamp(at),
    };
  });
}

function pickItems(random: Random, products: DemoProduct[]): DemoOrderItem[] {
  const items: DemoOrderItem[] = [];
  const wanted = skewed(random, 1, 5);
  while (items.length < wanted) {
    const product = pick(random, products);
    if (items.some((item) => item.productId === product.id)) continue;
    items.push({
      productId: product.id,
      quantity: random() < 0.8 ? int(random, 1, 3) : int(random, 4, 10),
      // Sharing the frozen price object is safe and spares thousands of allocations per build.
      unitPrice: product.price,
    });
  }
  return items;
}

function buildNotifications(
  random: Random,
  userId: string,
  count: number,
  idOffset: number,
  orders: DemoOrder[],
  products: DemoProduct[],
): DemoNotification[] {
  return timeline(random, count, 7 * DAY).map((at, index) => {
    const createdAt = formatTimestamp(at);
    const roll = random();
    // A notification may only talk about an order placed before it; both lists are newest first.
    let firstOlder = 0;
    while (firstOlder < orders.length && (orders[firstOlder]?.createdAt ?? '') > createdAt) firstOlder++;
    const order = firstOlder < orders.length ? orders[int(random, firstOlder, orders.length - 1)] : undefined;
    let kind: DemoNotification['kind'];
    let message: string;
    if (roll < 0.5 && order) {
      kind = 'ORDER';
      message = ORDER_MESSAGES[order.status](order.id);
    } else if (roll < 0.8) {
      kind = 'PROMO';
      message = `${int(random, 1, 6) * 5}% off ${pick(random, products).name} this week.`;
    } else {
      kind = 'SYSTEM';
      message = pick(random, SYSTEM_MESSAGES);
    }
    return {
      id: `n${idOffset + count - index}`,
      userId,
      kind,
      message,
      // Recent notifications are more often still unread.
      read: random() < (index < 3 ? 0.3 : 0.75),
      createdAt,
    };
  });
}
