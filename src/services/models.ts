// The shapes the REST services answer with (docs/upstreams.openapi.yaml). Resolvers receive these
// as parents; codegen maps the GraphQL types onto them (codegen.yml `mappers`).

/** Money as the services send it: integer minor units plus an ISO 4217 code. */
export interface MoneyModel {
  amount: number;
  currency: string;
}

/** A user from the users service. */
export interface UserModel {
  id: string;
  name: string;
  email: string;
  role: 'USER' | 'ADMIN';
  createdAt: string;
}

/** One line of an order from the orders service. */
export interface OrderItemModel {
  productId: string;
  quantity: number;
  unitPrice: MoneyModel;
}

/** An order from the orders service. */
export interface OrderModel {
  id: string;
  userId: string;
  status: 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
  items: OrderItemModel[];
  total: MoneyModel;
  createdAt: string;
}

/** A product from the products service. */
export interface ProductModel {
  id: string;
  name: string;
  price: MoneyModel;
  inStock: boolean;
}

/** A notification from the notifications service. */
export interface NotificationModel {
  id: string;
  userId: string;
  kind: 'ORDER' | 'PROMO' | 'SYSTEM';
  message: string;
  read: boolean;
  createdAt: string;
}

/** The dashboard is not fetched: it is the caller's id, from which each field loads its part. */
export interface DashboardModel {
  userId: string;
}
