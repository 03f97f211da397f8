import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { UserModel, OrderModel, OrderItemModel, ProductModel, NotificationModel, MoneyModel, DashboardModel } from '../services/models.js';
import type { GraphQLContext } from '../context/graphql-context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
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
  /** Any user, by id; null when there is no such user. Admins only. */
  user: Maybe<User>;
};


/** What can be read. */
export type QueryProductsArgs = {
  ids: Array<Scalars['ID']['input']>;
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



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;





/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CacheControlScope: CacheControlScope;
  Dashboard: ResolverTypeWrapper<DashboardModel>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Money: ResolverTypeWrapper<MoneyModel>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Notification: ResolverTypeWrapper<NotificationModel>;
  NotificationKind: NotificationKind;
  Order: ResolverTypeWrapper<OrderModel>;
  OrderItem: ResolverTypeWrapper<OrderItemModel>;
  OrderItemInput: OrderItemInput;
  OrderStatus: OrderStatus;
  PlaceOrderInput: PlaceOrderInput;
  Product: ResolverTypeWrapper<ProductModel>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RestBatch: RestBatch;
  Role: Role;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  User: ResolverTypeWrapper<UserModel>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Boolean: Scalars['Boolean']['output'];
  Dashboard: DashboardModel;
  DateTime: Scalars['DateTime']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Money: MoneyModel;
  Mutation: Record<PropertyKey, never>;
  Notification: NotificationModel;
  Order: OrderModel;
  OrderItem: OrderItemModel;
  OrderItemInput: OrderItemInput;
  PlaceOrderInput: PlaceOrderInput;
  Product: ProductModel;
  Query: Record<PropertyKey, never>;
  RestBatch: RestBatch;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  User: UserModel;
};

export type AuthDirectiveArgs = {
  requires?: Maybe<Role>;
};

export type AuthDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = AuthDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CacheControlDirectiveArgs = {
  inheritMaxAge?: Maybe<Scalars['Boolean']['input']>;
  maxAge?: Maybe<Scalars['Int']['input']>;
  scope?: Maybe<CacheControlScope>;
};

export type CacheControlDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = CacheControlDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type CostDirectiveArgs = {
  weight: Scalars['Int']['input'];
};

export type CostDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = CostDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ListSizeDirectiveArgs = {
  assumedSize?: Maybe<Scalars['Int']['input']>;
  slicingArguments?: Maybe<Array<Scalars['String']['input']>>;
};

export type ListSizeDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = ListSizeDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RateLimitDirectiveArgs = {
  max: Scalars['Int']['input'];
  window: Scalars['String']['input'];
};

export type RateLimitDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = RateLimitDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RestDirectiveArgs = {
  batch?: Maybe<RestBatch>;
  path: Scalars['String']['input'];
  select?: Maybe<Scalars['String']['input']>;
  service: Scalars['String']['input'];
  timeoutMs?: Maybe<Scalars['Int']['input']>;
};

export type RestDirectiveResolver<Result, Parent, ContextType = GraphQLContext, Args = RestDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type DashboardResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Dashboard'] = ResolversParentTypes['Dashboard']> = {
  notifications?: Resolver<Maybe<Array<ResolversTypes['Notification']>>, ParentType, ContextType, RequireFields<DashboardNotificationsArgs, 'limit' | 'unreadOnly'>>;
  recentOrders?: Resolver<Maybe<Array<ResolversTypes['Order']>>, ParentType, ContextType, RequireFields<DashboardRecentOrdersArgs, 'limit'>>;
  recommendations?: Resolver<Maybe<Array<ResolversTypes['Product']>>, ParentType, ContextType, RequireFields<DashboardRecommendationsArgs, 'limit'>>;
  unreadCount?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type MoneyResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Money'] = ResolversParentTypes['Money']> = {
  amount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  formatted?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  markNotificationRead?: Resolver<ResolversTypes['Notification'], ParentType, ContextType, RequireFields<MutationMarkNotificationReadArgs, 'id'>>;
  placeOrder?: Resolver<ResolversTypes['Order'], ParentType, ContextType, RequireFields<MutationPlaceOrderArgs, 'input'>>;
};

export type NotificationResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Notification'] = ResolversParentTypes['Notification']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['NotificationKind'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  read?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type OrderResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['OrderItem']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
};

export type OrderItemResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['OrderItem'] = ResolversParentTypes['OrderItem']> = {
  product?: Resolver<Maybe<ResolversTypes['Product']>, ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  unitPrice?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
};

export type ProductResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Product'] = ResolversParentTypes['Product']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  inStock?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  price?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  dashboard?: Resolver<Maybe<ResolversTypes['Dashboard']>, ParentType, ContextType>;
  me?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType>;
  products?: Resolver<Array<Maybe<ResolversTypes['Product']>>, ParentType, ContextType, RequireFields<QueryProductsArgs, 'ids'>>;
  user?: Resolver<Maybe<ResolversTypes['User']>, ParentType, ContextType, RequireFields<QueryUserArgs, 'id'>>;
};

export type SubscriptionResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  notificationAdded?: SubscriptionResolver<ResolversTypes['Notification'], "notificationAdded", ParentType, ContextType>;
};

export type UserResolvers<ContextType = GraphQLContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  email?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  notifications?: Resolver<Maybe<Array<ResolversTypes['Notification']>>, ParentType, ContextType, RequireFields<UserNotificationsArgs, 'limit' | 'unreadOnly'>>;
  orders?: Resolver<Maybe<Array<ResolversTypes['Order']>>, ParentType, ContextType, RequireFields<UserOrdersArgs, 'limit'>>;
  recommendations?: Resolver<Maybe<Array<ResolversTypes['Product']>>, ParentType, ContextType, RequireFields<UserRecommendationsArgs, 'limit'>>;
  role?: Resolver<ResolversTypes['Role'], ParentType, ContextType>;
};

export type Resolvers<ContextType = GraphQLContext> = {
  Dashboard?: DashboardResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Money?: MoneyResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Notification?: NotificationResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderItem?: OrderItemResolvers<ContextType>;
  Product?: ProductResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = GraphQLContext> = {
  auth?: AuthDirectiveResolver<any, any, ContextType>;
  cacheControl?: CacheControlDirectiveResolver<any, any, ContextType>;
  cost?: CostDirectiveResolver<any, any, ContextType>;
  listSize?: ListSizeDirectiveResolver<any, any, ContextType>;
  rateLimit?: RateLimitDirectiveResolver<any, any, ContextType>;
  rest?: RestDirectiveResolver<any, any, ContextType>;
};
