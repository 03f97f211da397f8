import type { IncomingHttpHeaders } from 'node:http';
import { orderNotifier } from './create-notification.js';
import type { DemoData } from './data.js';
import { createDemoData } from './data.js';
import { createDemoServer } from './demo-server.js';
import type { NotificationEvents, NotificationEventsOptions } from './event-stream.js';
import type { Fault } from './faults.js';
import { validateFault } from './faults.js';
import type { DemoServerName } from './routes.js';
import { createDemoStore } from './routes.js';

export type { Fault } from './faults.js';
export type { DemoServerName, DemoServiceName } from './routes.js';

export interface RecordedRequest {
  method: string;
  /** Without the query string, still percent-encoded. */
  path: string;
  /** Decoded query parameters; the last value wins when a name repeats. */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
  /** performance.now() when the request arrived. */
  receivedAt: number;
  /** performance.now() when the response finished; absent while pending and for hang/reset. */
  answeredAt?: number;
}

/** One HTTP server: one service replica. */
export interface DemoServer {
  readonly service: DemoServerName;
  /** e.g. http://127.0.0.1:41234, without a trailing slash. */
  readonly url: string;
  /** Every request, /health included, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Applies to every path, /health included, for requests arriving from now on. */
  setFault(fault: Fault | null): void;
  /** Added before every answer. */
  setLatencyMs(ms: number): void;
}

export interface DemoServices {
  /** Shared by all servers (the products replicas serve the same data). */
  readonly data: DemoData;
  readonly users: DemoServer;
  readonly orders: DemoServer;
  readonly notifications: DemoServer;
  /** The replicas. */
  readonly products: DemoServer[];
  /** Stock levels (inventory.openapi.yaml); not in the contract, only client schemas call it. */
  readonly inventory: DemoServer;
  /** The open GET /notifications/events streams: counts, and dropAll() to inject a drop. */
  readonly notificationEvents: Pick<NotificationEvents, 'count' | 'dropAll'>;
  readonly urls: {
    users: string;
    orders: string;
    notifications: string;
    products: string[];
    inventory: string;
  };
  servers(service?: DemoServerName): DemoServer[];
  /** Across replicas, sorted by receivedAt; /health is left out unless asked for by path. */
  requests(service: DemoServerName, path?: string): RecordedRequest[];
  /** Every replica of that service. */
  setFault(service: DemoServerName, fault: Fault | null): void;
  clearRecords(): void;
  /** Closes every server and destroys every socket, hanging ones included; never hangs. */
  close(): Promise<void>;
}

export interface DemoServicesOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port) for each; products lists one port per replica. */
  ports?: Partial<{
    users: number;
    orders: number;
    notifications: number;
    products: number[];
    inventory: number;
  }>;
  /** Default ports.products.length, else 3. */
  productsReplicas?: number;
  /** Default 0, for every server. */
  latencyMs?: number;
  seed?: number;
  /** Default 'public, max-age=60'; benchmarks pass 'no-store'. */
  productsCacheControl?: string;
  /** Cache-Control for users, orders and notifications answers (e.g. 'private, max-age=30'); none by default, as the contract says nothing. Inventory never sends one: stock moves. */
  userDataCacheControl?: string;
  /** Per server; the oldest half is dropped when reached, so long benchmarks stay bounded. Default 100000. */
  maxRecordedRequests?: number;
  /** The notifications event streams' ping interval and caps. */
  notificationEvents?: NotificationEventsOptions;
  /** Default true: placing an order posts an ORDER notification to the notifications service. */
  notifyOnOrder?: boolean;
}

interface Settings {
  host: string;
  ports: { users: number; orders: number; notifications: number; products: number[]; inventory: number };
  latencyMs: number;
  productsCacheControl: string;
  maxRecordedRequests: number;
}

/** Starts users, orders, notifications, the products replicas and inventory over one shared data set. */
export async function startDemoServices(options: DemoServicesOptions = {}): Promise<DemoServices> {
  const settings = validateOptions(options);
  const data = createDemoData(options.seed);
  const store = createDemoStore(
    data,
    settings.productsCacheControl,
    options.userDataCacheControl,
    options.notificationEvents,
  );
  const make = (service: DemoServerName, port: number) =>
    createDemoServer({ service, store, port, ...settings });
  const users = make('users', settings.ports.users);
  const orders = make('orders', settings.ports.orders);
  const notifications = make('notifications', settings.ports.notifications);
  const products = settings.ports.products.map((port) => make('products', port));
  const inventory = make('inventory', settings.ports.inventory);
  const managed = [users, orders, notifications, ...products, inventory];
  try {
    await Promise.all(managed.map((server) => server.start()));
  } catch (error) {
    store.events.close();
    await Promise.all(managed.map((server) => server.close()));
    throw error;
  }
  if (options.notifyOnOrder !== false) store.onOrderPlaced = orderNotifier(notifications.api.url);

  const all = managed.map((server) => server.api);
  const servers = (service?: DemoServerName) =>
    service === undefined ? [...all] : all.filter((server) => server.service === service);
  let closing: Promise<void> | undefined;
  return {
    data,
    users: users.api,
    orders: orders.api,
    notifications: notifications.api,
    products: products.map((server) => server.api),
    inventory: inventory.api,
    notificationEvents: {
      count: (userId) => store.events.count(userId),
      dropAll: () => store.events.dropAll(),
    },
    urls: {
      users: users.api.url,
      orders: orders.api.url,
      notifications: notifications.api.url,
      products: products.map((server) => server.api.url),
      inventory: inventory.api.url,
    },
    servers,
    requests: (service, path) =>
      servers(service)
        .flatMap((server) => server.requests)
        .filter((request) => (path === undefined ? request.path !== '/health' : request.path === path))
        .sort((a, b) => a.receivedAt - b.receivedAt),
    setFault: (service, fault) => {
      validateFault(fault);
      for (const server of servers(service)) server.setFault(fault);
    },
    clearRecords: () => {
      for (const server of all) server.requests.length = 0;
    },
    close: () => {
      store.events.close();
      closing ??= Promise.all(managed.map((server) => server.close())).then(() => undefined);
      return closing;
    },
  };
}

function validateOptions(options: DemoServicesOptions): Settings {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new TypeError('demo services: host must be a non-empty string');
  const ports = options.ports ?? {};
  const replicas = options.productsReplicas ?? ports.products?.length ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TypeError(`demo services: productsReplicas must be an integer >= 1, got ${replicas}`);
  }
  if (ports.products !== undefined && (!Array.isArray(ports.products) || ports.products.length > replicas)) {
    throw new TypeError(`demo services: ports.products must be an array of at most ${replicas} ports`);
  }
  const port = (name: string, value: number | undefined) => {
    if (value === undefined) return 0;
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      throw new TypeError(`demo services: ports.${name} must be an integer from 0 to 65535, got ${value}`);
    }
    return value;
  };
  const latencyMs = options.latencyMs ?? 0;
  if (!(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new TypeError(`demo services: latencyMs must be a number >= 0, got ${latencyMs}`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new TypeError(`demo services: seed must be an integer, got ${options.seed}`);
  }
  const productsCacheControl = options.productsCacheControl ?? 'public, max-age=60';
  if (typeof productsCacheControl !== 'string') {
    throw new TypeError('demo services: productsCacheControl must be a string');
  }
  const maxRecordedRequests = options.maxRecordedRequests ?? 100_000;
  if (!Number.isInteger(maxRecordedRequests) || maxRecordedRequests < 2) {
    throw new TypeError(
      `demo services: maxRecordedRequests must be an integer >= 2, got ${maxRecordedRequests}`,
    );
  }
  return {
    host,
    ports: {
      users: port('users', ports.users),
      orders: port('orders', ports.orders),
      notifications: port('notifications', ports.notifications),
      products: Array.from({ length: replicas }, (_, index) =>
        port(`products[${index}]`, ports.products?.[index]),
      ),
      inventory: port('inventory', ports.inventory),
    },
    latencyMs,
    productsCacheControl,
    maxRecordedRequests,
  };
}
