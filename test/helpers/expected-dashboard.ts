// The dashboard as the demo services' own data says it must be, for tests that compare a
// gateway answer against the source of truth rather than against a snapshot.
import type { DemoData } from '../../src/demo/data.js';
import { formatMoney } from '../../src/resolvers/money.js';

/** Every dashboard field, the products of every order item included. */
export const dashboardQuery = `{
  dashboard {
    user { id name email role createdAt }
    recentOrders(limit: 5) {
      id status createdAt
      total { amount currency formatted }
      items { quantity unitPrice { amount currency formatted } product { id name price { amount formatted } inStock } }
    }
    notifications(limit: 20) { id kind message read createdAt }
    unreadCount
  }
}`;

/** `{ ...money, formatted }` as the gateway answers a Money. */
export function moneyOf(m: { amount: number; currency: string }) {
  return { amount: m.amount, currency: m.currency, formatted: formatMoney(m.amount, m.currency) };
}

/** The answer to `dashboardQuery` for `userId`, read from the services' data right now. */
export function expectedDashboard(data: DemoData, userId: string) {
  const user = data.users.get(userId);
  if (!user) throw new Error(`no demo user ${userId}`);
  const orders = (data.ordersByUser.get(userId) ?? []).slice(0, 5);
  const notifications = data.notificationsByUser.get(userId) ?? [];
  return {
    user: { id: user.id, name: user.name, email: user.email, role: user.role, createdAt: user.createdAt },
    recentOrders: orders.map((o) => ({
      id: o.id,
      status: o.status,
      createdAt: o.createdAt,
      total: moneyOf(o.total),
      items: o.items.map((i) => {
        const p = data.products.get(i.productId);
        return {
          quantity: i.quantity,
          unitPrice: moneyOf(i.unitPrice),
          product: p
            ? {
                id: p.id,
                name: p.name,
                price: { amount: p.price.amount, formatted: formatMoney(p.price.amount, p.price.currency) },
                inStock: p.inStock,
              }
            : null,
        };
      }),
    })),
    notifications: notifications
      .slice(0, 20)
      .map((n) => ({ id: n.id, kind: n.kind, message: n.message, read: n.read, createdAt: n.createdAt })),
    unreadCount: notifications.filter((n) => !n.read).length,
  };
}

export type ExpectedDashboard = ReturnType<typeof expectedDashboard>;
