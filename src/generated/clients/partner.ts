export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** RFC 3339 timestamp in UTC, e.g. 2026-11-27T12:00:00Z. Inputs must carry a time zone; outputs are always UTC. */
  DateTime: { input: string; output: string; }
};

/** Who may reuse a cached answer: every caller (PUBLIC) or only the same user (PRIVATE). */
export type CacheControlScope =
  /** An answer for one user: kept per user, never served to another. */
  | 'PRIVATE'
  /** The same answer for every caller: shared caches may keep it. */
  | 'PUBLIC';

/** Everything a frontend's home screen needs, in one request. */
export type Dashboard = {
  __typename?: 'Dashboard';
  /** The caller's notifications, newest first (notifications service; null when it cannot answer). `limit` is 1 to 100. */
  notifications: Maybe<Array<Notification>>;
  /** The caller's latest orders, newest first (orders service; null when it cannot answer). `limit` is 1 to 50. */
  recentOrders: Maybe<Array<Order>>;
  /** Products recommended for the caller, best first (gRPC recommendations service, then products; null when either cannot answer). `limit` is 1 to 50. */
  recommendations: Maybe<Array<Product>>;
  /** Number of unread notifications (may exceed what `notifications` returns; counted up to 100). */
  unreadCount: Maybe<Scalars['Int']['output']>;
  /**
   * The caller (users service). Non-null: a dashboard is for someone. When the users service cannot
   * answer, the whole dashboard is null with one error at `dashboard.user`, and the other fields are
   * not served; ask for `me` beside it, or give users a `staleIfErrorSeconds` to keep the last profile.
   */
  user: User;
};


/** Everything a frontend's home screen needs, in one request. */
export type DashboardNotificationsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
  unreadOnly?: InputMaybe<Scalars['Boolean']['input']>;
};


/** Everything a frontend's home screen needs, in one request. */
export type DashboardRecentOrdersArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};


/** Everything a frontend's home screen needs, in one request. */
export type DashboardRecommendationsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};

/** An amount of money in minor units of a currency. */
export type Money = {
  __typename?: 'Money';
  /** Minor units (cents). */
  amount: Scalars['Int']['output'];
  /** ISO 4217 currency code, e.g. USD. */
  currency: Scalars['String']['output'];
  /** Human form, e.g. $12.99 (en-US formatting). */
  formatted: Scalars['String']['output'];
};

/** What can be changed. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Marks one of the caller's notifications read (idempotent). */
  markNotificationRead: Notification;
  /** Places an order for the caller. */
  placeOrder: Order;
};


/** What can be changed. */
export type MutationMarkNotificationReadArgs = {
  id: Scalars['ID']['input'];
};


/** What can be changed. */
export type MutationPlaceOrderArgs = {
  input: PlaceOrderInput;
};

/** A message for a user (notifications service). */
export type Notification = {
  __typename?: 'Notification';
  /** When it was sent. */
  createdAt: Scalars['DateTime']['output'];
  /** Stable id, e.g. n1. */
  id: Scalars['ID']['output'];
  /** What it is about. */
  kind: NotificationKind;
  /** The text to show. */
  message: Scalars['String']['output'];
  /** Whether the user has read it. */
  read: Scalars['Boolean']['output'];
};

/** What a notification is about. */
export type NotificationKind =
  /** About one of the user's orders. */
  | 'ORDER'
  /** A promotion. */
  | 'PROMO'
  /** About the account or the service. */
  | 'SYSTEM';

/** An order a user placed (orders service). */
export type Order = {
  __typename?: 'Order';
  /** When the order was placed. */
  createdAt: Scalars['DateTime']['output'];
  /** Stable id, e.g. o1. */
  id: Scalars['ID']['output'];
  /** What was ordered. */
  items: Array<OrderItem>;
  /** Where the order is in its life. */
  status: OrderStatus;
  /** Sum of quantity × unit price of all items. */
  total: Money;
};

/** One line of an order. */
export type OrderItem = {
  __typename?: 'OrderItem';
  /** The product (products service); null when it cannot answer or the product no longer exists. */
  product: Maybe<Product>;
  /** How many units. */
  quantity: Scalars['Int']['output'];
  /** Price of one unit when the order was placed. */
  unitPrice: Money;
};

/** One line of a new order. */
export type OrderItemInput = {
  /** The product to order. */
  productId: Scalars['ID']['input'];
  /** How many units, 1 to 100. */
  quantity: Scalars['Int']['input'];
};

/** Where an order is in its life. */
export type OrderStatus =
  /** Cancelled; nothing ships. */
  | 'CANCELLED'
  /** Arrived. */
  | 'DELIVERED'
  /** Paid, waiting to ship. */
  | 'PAID'
  /** Placed, not yet paid. */
  | 'PENDING'
  /** On its way. */
  | 'SHIPPED';

/** A new order. */
export type PlaceOrderInput = {
  /** The same key returns the same order instead of placing a second one. */
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  /** What to order: 1 to 50 lines. */
  items: Array<OrderItemInput>;
};

/** Something that can be ordered (products service). */
export type Product = {
  __typename?: 'Product';
  /** Stable id, e.g. p1. */
  id: Scalars['ID']['output'];
  /** Whether it can be ordered now. */
  inStock: Scalars['Boolean']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** Current price of one unit. */
  price: Money;
  /** Current stock (inventory service; null when it cannot answer or has no record of the product). One call for every product of a response. */
  stock: Maybe<Stock>;
};

/** What can be read. */
export type Query = {
  __typename?: 'Query';
  /** The caller's dashboard. */
  dashboard: Maybe<Dashboard>;
  /** The caller. */
  me: Maybe<User>;
  /** Products by id, in the order asked; null for an id that does not exist. Public; at most 500 ids. */
  products: Array<Maybe<Product>>;
  /** One product's stock (inventory service); null when it has no record of the product. Public. */
  stock: Maybe<Stock>;
  /** Any user, by id; null when there is no such user. Admins only. */
  user: Maybe<User>;
};


/** What can be read. */
export type QueryProductsArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/** What can be read. */
export type QueryStockArgs = {
  productId: Scalars['ID']['input'];
};


/** What can be read. */
export type QueryUserArgs = {
  id: Scalars['ID']['input'];
};

/** How a batched `@rest` field gathers its parents' keys into one call. */
export type RestBatch = {
  /** Where each parent's key comes from: `$parent.f`. */
  from: Scalars['String']['input'];
  /** Field of each record of the answer that holds its key, e.g. `productId`. */
  key: Scalars['String']['input'];
  /** At most this many keys per call (1 to 1000); more keys make several calls, in parallel. */
  maxSize?: InputMaybe<Scalars['Int']['input']>;
  /** Query parameter that takes the keys, comma-separated, e.g. `productIds`. */
  param: Scalars['String']['input'];
};

/** What a caller may do. */
export type Role =
  /** An operator: may look up any user. */
  | 'ADMIN'
  /** An ordinary signed-in user. */
  | 'USER';

/** How many units of a product can be sold now (inventory service). */
export type Stock = {
  __typename?: 'Stock';
  /** Units available; 0 when sold out. */
  available: Scalars['Int']['output'];
  /** When the count was last taken. */
  updatedAt: Scalars['DateTime']['output'];
  /** Where the units are, e.g. AMS-1. */
  warehouse: Scalars['String']['output'];
};

/** What can be listened to: over WebSocket (graphql-ws) or server-sent events (graphql-sse) on /graphql. */
export type Subscription = {
  __typename?: 'Subscription';
  /** Each new notification of the caller, as the notifications service publishes it, in order. */
  notificationAdded: Notification;
};

/** A person with an account (users service). */
export type User = {
  __typename?: 'User';
  /** When the account was created. */
  createdAt: Scalars['DateTime']['output'];
  /** Contact e-mail address. */
  email: Scalars['String']['output'];
  /** Stable id, e.g. u1. */
  id: Scalars['ID']['output'];
  /** Display name. */
  name: Scalars['String']['output'];
  /** The user's notifications, newest first (notifications service; null when it cannot answer). `limit` is 1 to 100. */
  notifications: Maybe<Array<Notification>>;
  /** The user's orders, newest first (orders service; null when it cannot answer). `limit` is 1 to 50. */
  orders: Maybe<Array<Order>>;
  /** Products recommended for this user, best first (gRPC recommendations service, then products; null when either cannot answer). `limit` is 1 to 50. */
  recommendations: Maybe<Array<Product>>;
  /** What the user may do. */
  role: Role;
};


/** A person with an account (users service). */
export type UserNotificationsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
  unreadOnly?: InputMaybe<Scalars['Boolean']['input']>;
};


/** A person with an account (users service). */
export type UserOrdersArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};


/** A person with an account (users service). */
export type UserRecommendationsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};
