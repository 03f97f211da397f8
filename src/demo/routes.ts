import type { IncomingHttpHeaders } from 'node:http';
import { createNotification } from './create-notification.js';
import type { DemoData, DemoOrder } from './data.js';
import {
  createNotificationEvents,
  type NotificationEvents,
  type NotificationEventsOptions,
} from './event-stream.js';
import { placeOrder } from './place-order.js';
import {
  batchIds,
  booleanParam,
  HttpError,
  integerParam,
  parseBody,
  requiredHeader,
} from './request-input.js';

/** The contract's four services (docs/upstreams.openapi.yaml). */
export type DemoServiceName = 'users' | 'orders' | 'notifications' | 'products';
/** Every demo server: the contract's services plus `inventory`, which only client schemas call. */
export type DemoServerName = DemoServiceName | 'inventory';

/** A request as the routes see it: the body is still raw text. */
export interface DemoRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface DemoReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What the services share besides the data set: order numbering and idempotency keys. */
export interface DemoStore {
  readonly data: DemoData;
  readonly productsCacheControl: string;
  /** Cache-Control on successful GETs of users, orders and notifications; none when undefined. */
  readonly userDataCacheControl?: string;
  nextOrderNumber: number;
  /** Keyed by user id and Idempotency-Key, so two users can never collide on a key. */
  readonly idempotentOrders: Map<string, DemoOrder>;
  nextNotificationNumber: number;
  /** The notifications' event streams (GET /notifications/events). */
  readonly events: NotificationEvents;
  /**
   * Told of each new order: the orders service posts an ORDER notification to the notifications
   * service over HTTP, as a real backend would (set once both listen).
   */
  onOrderPlaced?: (order: DemoOrder) => void;
}

export interface RouteRequest extends DemoRequest {
  params: Record<string, string>;
  body: unknown;
}

interface Route {
  method: 'GET' | 'POST';
  /** Path segments; a segment starting with ':' captures a non-empty parameter. */
  pattern: string[];
  handle(request: RouteRequest, store: DemoStore): DemoReply;
}

/** Builds the shared state once for all servers; new order ids continue after the seeded ones. */
export function createDemoStore(
  data: DemoData,
  productsCacheControl: string,
  userDataCacheControl?: string,
  eventOptions?: NotificationEventsOptions,
): DemoStore {
  let highest = 0;
  for (const id of data.orders.keys()) highest = Math.max(highest, Number(id.slice(1)) || 0);
  let highestNotification = 0;
  for (const id of data.notifications.keys())
    highestNotification = Math.max(highestNotification, Number(id.slice(1)) || 0);
  return {
    data,
    productsCacheControl,
    userDataCacheControl,
    nextOrderNumber: highest + 1,
    idempotentOrders: new Map(),
    nextNotificationNumber: highestNotification + 1,
    events: createNotificationEvents(data, eventOptions),
  };
}

/** Answers one request for a service: 404 unknown path, 405 wrong method, 400 bad JSON, else the route. */
export function routeRequest(service: DemoServerName, request: DemoRequest, store: DemoStore): DemoReply {
  try {
    const segments = splitPath(request.path);
    const matches = routes[service].flatMap((route) => {
      const params = matchPattern(route.pattern, segments);
      return params ? [{ route, params }] : [];
    });
    if (matches.length === 0) return errorReply(404, `no such resource: ${request.path}`);
    const match = matches.find(({ route }) => route.method === request.method);
    if (!match) {
      const allow = matches.map(({ route }) => route.method).join(', ');
      return {
        ...errorReply(405, `method ${request.method} not allowed on ${request.path}`),
        headers: { allow },
      };
    }
    return match.route.handle({ ...request, params: match.params, body: parseBody(request.rawBody) }, store);
  } catch (error) {
    if (error instanceof HttpError) return errorReply(error.status, error.message);
    throw error;
  }
}

/** The contract's error body. */
export function errorReply(status: number, message: string): DemoReply {
  return { status, body: { error: message } };
}

function splitPath(path: string): string[] {
  try {
    return path.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, `malformed path: ${path}`);
  }
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith(':') && segment !== '') params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

function ok(body: unknown, headers?: Record<string, string>): DemoReply {
  return headers ? { status: 200, body, headers } : { status: 200, body };
}

function present<T>(value: T | undefined): value is T {
  return value !== undefined;
}

const health: Route = { method: 'GET', pattern: ['health'], handle: () => ok({ status: 'ok' }) };

const routes: Record<DemoServerName, Route[]> = {
  users: [
    health,
    {
      method: 'GET',
      pattern: ['users'],
      handle: ({ query }, { data }) =>
        ok(
          batchIds(query, 'ids')
            .map((id) => data.users.get(id))
            .filter(present),
        ),
    },
    {
      method: 'GET',
      pattern: ['users', ':id'],
      handle: ({ params }, { data }) => {
        const user = data.users.get(params.id ?? '');
        return user ? ok(user) : errorReply(404, `user ${params.id} not found`);
      },
    },
  ],
  orders: [
    health,
    {
      method: 'GET',
      pattern: ['orders'],
      handle: ({ query }, { data }) => {
        const userIds = batchIds(query, 'userIds');
        const limit = integerParam(query, 'limit', 1, 50, 10);
        return ok(userIds.flatMap((userId) => data.ordersByUser.get(userId)?.slice(0, limit) ?? []));
      },
    },
    { method: 'POST', pattern: ['orders'], handle: placeOrder },
    {
      method: 'GET',
      pattern: ['orders', ':id'],
      handle: ({ params }, { data }) => {
        const order = data.orders.get(params.id ?? '');
        return order ? ok(order) : errorReply(404, `order ${params.id} not found`);
      },
    },
  ],
  notifications: [
    health,
    {
      method: 'GET',
      pattern: ['notifications'],
      handle: ({ query }, { data }) => {
        const userIds = batchIds(query, 'userIds');
        const unreadOnly = booleanParam(query, 'unreadOnly');
        const limit = integerParam(query, 'limit', 1, 100, 20);
        return ok(
          userIds.flatMap((userId) => {
            const all = data.notificationsByUser.get(userId) ?? [];
            return (unreadOnly ? all.filter((n) => !n.read) : all).slice(0, limit);
          }),
        );
      },
    },
    { method: 'POST', pattern: ['notifications'], handle: createNotification },
    {
      method: 'POST',
      pattern: ['notifications', ':id', 'read'],
      handle: ({ params, headers }, { data }) => {
        const userId = requiredHeader(headers, 'x-user-id');
        const notification = data.notifications.get(params.id ?? '');
        // Someone else's notification answers exactly like a missing one, so ids cannot be probed.
        if (!notification || notification.userId !== userId) {
          return errorReply(404, `notification ${params.id} not found`);
        }
        notification.read = true;
        return ok(notification);
      },
    },
  ],
  products: [
    health,
    {
      method: 'GET',
      pattern: ['products'],
      handle: ({ query }, { data, productsCacheControl }) =>
        ok(
          batchIds(query, 'ids')
            .map((id) => data.products.get(id))
            .filter(present),
          {
            'cache-control': productsCacheControl,
          },
        ),
    },
  ],
  inventory: [
    health,
    {
      method: 'GET',
      pattern: ['stock'],
      // Wrapped in an object like many real APIs (unlike the contract's services), so that a
      // client schema's `@rest(select: "items")` has something to pick.
      handle: ({ query }, { data }) =>
        ok({
          items: batchIds(query, 'productIds')
            .map((id) => data.stock.get(id))
            .filter(present),
        }),
    },
    {
      method: 'GET',
      pattern: ['stock', ':productId'],
      handle: ({ params }, { data }) => {
        const stock = data.stock.get(params.productId ?? '');
        return stock ? ok(stock) : errorReply(404, `no stock for product ${params.productId}`);
      },
    },
  ],
};
