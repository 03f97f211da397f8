// R, the yardstick: a raw node:http server that answers the benchmark's dashboard query with
// exactly the gateway's upstream calls (users, orders, notifications ×2 in parallel, then one
// products call when there are items) over undici Pools, and writes the JSON the gateway would.
// It verifies the JWT like the gateway (jose HS256, verified tokens cached until `exp`), so the
// comparison is not flattered by skipping auth. It serves nothing else: any other body is a 400.
//
// Environment: BENCH_UPSTREAMS = JSON {users, orders, notifications, products: [..]}.
// Prints `READY {"url":…}` once listening.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { jwtVerify } from 'jose';
import { Pool } from 'undici';
import {
  announceReady,
  benchSecret,
  dashboardBody,
  dashboardWithRecommendationsBody,
  exitWithParent,
  formatMoney,
  type NotificationRecord,
  newestFirst,
  type OrderRecord,
  type ProductRecord,
  recommendationsLimit,
  type UserRecord,
  unreadCountPage,
} from './dashboard.js';

exitWithParent();

interface Upstreams {
  users: string;
  orders: string;
  notifications: string;
  products: string[];
  /** host:port of the gRPC recommendations stub (S6). */
  recommendations?: string;
}
const upstreams = JSON.parse(process.env.BENCH_UPSTREAMS ?? '') as Upstreams;
// The gateway's defaults: 64 keep-alive connections per URL, idle sockets closed after 4 s.
const poolOptions = { connections: 64, keepAliveTimeout: 4_000 };
const users = new Pool(upstreams.users, poolOptions);
const orders = new Pool(upstreams.orders, poolOptions);
const notifications = new Pool(upstreams.notifications, poolOptions);
const products = upstreams.products.map((url) => new Pool(url, poolOptions));
let productsCursor = 0;
const recommendations = upstreams.recommendations
  ? recommendationsClient(upstreams.recommendations)
  : undefined;

interface Caller {
  userId: string;
  role: string;
  exp: number;
}
const secret = new TextEncoder().encode(benchSecret);
// The gateway caches verified tokens (10 000, until exp); R does too, or it would pay ~30 µs of
// HMAC per request that the gateway does not.
const verified = new Map<string, Caller>();

async function callerOf(authorization: string | undefined): Promise<Caller | undefined> {
  if (!authorization?.startsWith('Bearer ')) return undefined;
  const token = authorization.slice(7);
  const hit = verified.get(token);
  if (hit && hit.exp > Date.now() / 1000) return hit;
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    const caller = { userId: payload.sub!, role: String(payload.role ?? 'USER'), exp: payload.exp! };
    if (verified.size >= 10_000) verified.delete(verified.keys().next().value!);
    verified.set(token, caller);
    return caller;
  } catch {
    return undefined;
  }
}

async function getJson<T>(pool: Pool, path: string, headers: Record<string, string>): Promise<T> {
  const { statusCode, body } = await pool.request({ method: 'GET', path, headers });
  const text = await body.text();
  if (statusCode !== 200) throw new Error(`GET ${path} answered HTTP ${statusCode}`);
  return JSON.parse(text) as T;
}

async function dashboard(caller: Caller, withRecommendations: boolean): Promise<string> {
  const headers = {
    'x-request-id': randomUUID(),
    'x-client-name': 'anonymous',
    'x-user-id': caller.userId,
    'x-user-role': caller.role,
    accept: 'application/json',
  };
  const id = encodeURIComponent(caller.userId);
  // S6: the RPC goes with the first calls, as the gateway's loaders send it.
  const recommended =
    withRecommendations && recommendations
      ? recommendations(caller.userId, recommendationsLimit, headers)
      : Promise.resolve<string[]>([]);
  const [userList, orderList, latest, unread, picks] = await Promise.all([
    getJson<UserRecord[]>(users, `/users?ids=${id}`, headers),
    getJson<OrderRecord[]>(orders, `/orders?userIds=${id}&limit=2`, headers),
    getJson<NotificationRecord[]>(
      notifications,
      `/notifications?userIds=${id}&unreadOnly=false&limit=2`,
      headers,
    ),
    getJson<NotificationRecord[]>(
      notifications,
      `/notifications?userIds=${id}&unreadOnly=true&limit=${unreadCountPage}`,
      headers,
    ),
    recommended,
  ]);
  const user = userList.find((u) => u.id === caller.userId);
  if (!user) throw new Error(`users does not know ${caller.userId}`);
  const recent = newestFirst(orderList).slice(0, 2);
  // One products call for the orders' items and the recommendations, as the gateway's loader.
  const ids = [
    ...new Set([...recent.flatMap((order) => order.items.map((item) => item.productId)), ...picks]),
  ];
  const names = new Map<string, string>();
  if (ids.length > 0) {
    const pool = products[productsCursor++ % products.length]!;
    const list = await getJson<ProductRecord[]>(
      pool,
      `/products?ids=${encodeURIComponent(ids.join(','))}`,
      headers,
    );
    for (const product of list) names.set(product.id, product.name);
  }
  return JSON.stringify({
    data: {
      dashboard: {
        user: { name: user.name },
        recentOrders: recent.map((order) => ({
          id: order.id,
          status: order.status,
          total: { formatted: formatMoney(order.total.amount, order.total.currency) },
          items: order.items.map((item) => {
            const name = names.get(item.productId);
            return { quantity: item.quantity, product: name === undefined ? null : { name } };
          }),
        })),
        notifications: newestFirst(latest)
          .slice(0, 2)
          .map((n) => ({ kind: n.kind, message: n.message, read: n.read })),
        unreadCount: unread.length,
        ...(withRecommendations
          ? {
              recommendations: picks
                .filter((pick) => names.has(pick))
                .map((pick) => ({ name: names.get(pick) })),
            }
          : {}),
      },
    },
  });
}

/** ForUsers for one user over grpc-js, with the gateway's metadata and a 2 s deadline. */
function recommendationsClient(address: string) {
  const proto = fileURLToPath(new URL('../proto/recommendations.proto', import.meta.url));
  const loaded = loadPackageDefinition(
    loadSync(proto, { keepCase: true, longs: Number, defaults: true }),
  ) as unknown as {
    switchboard: { recommendations: { v1: { Recommendations: ServiceClientConstructor } } };
  };
  const client = new loaded.switchboard.recommendations.v1.Recommendations(
    address,
    credentials.createInsecure(),
  );
  return (userId: string, limit: number, headers: Record<string, string>) =>
    new Promise<string[]>((resolve, reject) => {
      const metadata = new Metadata();
      for (const name of ['x-request-id', 'x-client-name', 'x-user-id'] as const)
        metadata.set(name, headers[name]!);
      client.ForUsers!(
        { user_ids: [userId], limit },
        metadata,
        { deadline: Date.now() + 2_000 },
        (error: Error | null, answer: { results: { user_id: string; product_ids: string[] }[] }) => {
          if (error) return reject(error);
          resolve(answer.results.find((r) => r.user_id === userId)?.product_ids ?? []);
        },
      );
    });
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function failure(message: string): string {
  return JSON.stringify({ errors: [{ message }] });
}

async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
  if (request.method !== 'POST' || request.url !== '/graphql') {
    send(response, 404, failure('not found'));
    return;
  }
  const withRecommendations = body === dashboardWithRecommendationsBody;
  if (body !== dashboardBody && !withRecommendations) {
    send(response, 400, failure('R serves only the benchmark dashboard queries'));
    return;
  }
  const caller = await callerOf(request.headers.authorization);
  if (!caller) {
    send(response, 401, failure('unauthenticated'));
    return;
  }
  send(response, 200, await dashboard(caller, withRecommendations));
}

const server = createServer({ keepAliveTimeout: 72_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    handle(request, response, body).catch((error: Error) => send(response, 502, failure(error.message)));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;

const stop = async () => {
  server.closeAllConnections();
  server.close();
  await Promise.all([users, orders, notifications, ...products].map((pool) => pool.close()));
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

announceReady({ url: `http://127.0.0.1:${port}` });
