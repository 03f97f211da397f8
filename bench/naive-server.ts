// N, the usual alternative: a naive Apollo Server 5 BFF (startStandaloneServer, Apollo's
// defaults) whose resolvers `fetch` per field, without DataLoader. `OrderItem.product` makes one
// products call per item (N+1), `unreadCount` its own notifications call. It verifies the JWT
// with jose on every request, as typical code does (no verified-token cache). Same schema subset
// and the same JSON as the gateway for the benchmark query.
//
// Environment: BENCH_UPSTREAMS = JSON {users, orders, notifications, products: [..]}.
// Prints `READY {"url":…}` once listening.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';
import { jwtVerify } from 'jose';
import {
  announceReady,
  benchSecret,
  exitWithParent,
  formatMoney,
  type Money,
  type NotificationRecord,
  newestFirst,
  type OrderRecord,
  type ProductRecord,
  type UserRecord,
  unreadCountPage,
} from './dashboard.js';

exitWithParent();

interface Upstreams {
  users: string;
  orders: string;
  notifications: string;
  products: string[];
}
const upstreams = JSON.parse(process.env.BENCH_UPSTREAMS ?? '') as Upstreams;
let productsCursor = 0;

const typeDefs = /* GraphQL */ `
  enum OrderStatus { PENDING PAID SHIPPED DELIVERED CANCELLED }
  enum NotificationKind { ORDER PROMO SYSTEM }
  type Money { amount: Int! currency: String! formatted: String! }
  type User { id: ID! name: String! email: String! }
  type Product { id: ID! name: String! price: Money! inStock: Boolean! }
  type OrderItem { quantity: Int! unitPrice: Money! product: Product }
  type Order { id: ID! status: OrderStatus! total: Money! items: [OrderItem!]! }
  type Notification { id: ID! kind: NotificationKind! message: String! read: Boolean! }
  type Dashboard {
    user: User!
    recentOrders(limit: Int = 5): [Order!]
    notifications(unreadOnly: Boolean = false, limit: Int = 20): [Notification!]
    unreadCount: Int
  }
  type Query { dashboard: Dashboard }
`;

interface Context {
  userId?: string;
  role: string;
}

async function getJson<T>(url: string, context: Context): Promise<T> {
  const response = await fetch(url, {
    headers: { 'x-user-id': context.userId ?? '', 'x-user-role': context.role, accept: 'application/json' },
  });
  if (!response.ok) throw new GraphQLError(`${url} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

const q = encodeURIComponent;

const resolvers = {
  Query: {
    dashboard: (_: unknown, __: unknown, context: Context) => {
      if (!context.userId)
        throw new GraphQLError('unauthenticated', { extensions: { code: 'UNAUTHENTICATED' } });
      return { userId: context.userId };
    },
  },
  Dashboard: {
    user: async ({ userId }: { userId: string }, _: unknown, context: Context) => {
      const list = await getJson<UserRecord[]>(`${upstreams.users}/users?ids=${q(userId)}`, context);
      return list[0];
    },
    recentOrders: async ({ userId }: { userId: string }, { limit }: { limit: number }, context: Context) =>
      newestFirst(
        await getJson<OrderRecord[]>(
          `${upstreams.orders}/orders?userIds=${q(userId)}&limit=${limit}`,
          context,
        ),
      ),
    notifications: async (
      { userId }: { userId: string },
      { unreadOnly, limit }: { unreadOnly: boolean; limit: number },
      context: Context,
    ) =>
      newestFirst(
        await getJson<NotificationRecord[]>(
          `${upstreams.notifications}/notifications?userIds=${q(userId)}&unreadOnly=${unreadOnly}&limit=${limit}`,
          context,
        ),
      ),
    unreadCount: async ({ userId }: { userId: string }, _: unknown, context: Context) =>
      (
        await getJson<NotificationRecord[]>(
          `${upstreams.notifications}/notifications?userIds=${q(userId)}&unreadOnly=true&limit=${unreadCountPage}`,
          context,
        )
      ).length,
  },
  OrderItem: {
    // N+1: one call per item, the way a resolver written without DataLoader does it.
    product: async ({ productId }: { productId: string }, _: unknown, context: Context) => {
      const base = upstreams.products[productsCursor++ % upstreams.products.length];
      const list = await getJson<ProductRecord[]>(`${base}/products?ids=${q(productId)}`, context);
      return list[0] ?? null;
    },
  },
  Money: {
    formatted: (money: Money) => formatMoney(money.amount, money.currency),
  },
};

const secret = new TextEncoder().encode(benchSecret);
// Apollo's own SIGTERM handler would re-raise the signal, and --cpu-prof writes nothing then.
const server = new ApolloServer<Context>({ typeDefs, resolvers, stopOnTerminationSignals: false });
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: 0 },
  context: async ({ req }) => {
    const authorization = req.headers.authorization;
    if (!authorization?.startsWith('Bearer ')) return { role: 'USER' };
    try {
      const { payload } = await jwtVerify(authorization.slice(7), secret, { algorithms: ['HS256'] });
      return { userId: payload.sub, role: String(payload.role ?? 'USER') };
    } catch {
      throw new GraphQLError('invalid token', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
  },
});

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

announceReady({ url: url.replace(/\/$/, '') });
