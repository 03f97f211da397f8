// The dashboard as the demo services' own data says it must be, for tests that compare a
// gateway answer against the source of truth rather than against a snapshot.
import type { DemoData } from '../../src/demo/data.js';

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

/**
 * US dollars as the gateway must write them, written out here rather than computed by the
 * gateway's own formatter (a test that used it would agree with any bug in it): `$1,234.50`.
 */
export function usd(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(cents) / 100);
  const fraction = String(Math.abs(cents) % 100).padStart(2, '0');
  return `${sign}$${whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}

function formatted(amount: number, currency: string): string {
  if (currency !== 'USD') throw new Error(`the demo data is in USD, not ${currency}`);
  return usd(amount);
}

/** `{ ...money, formatted }` as the gateway answers a Money. */
export function moneyOf(m: { amount: number; currency: string }) {
  return { amount: m.amount, currency: m.currency, formatted: formatted(m.amount, m.currency) };
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
                price: { amount: p.price.amount, formatted: formatted(p.price.amount, p.price.currency) },
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
