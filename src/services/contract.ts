import type {
  MoneyModel,
  NotificationModel,
  OrderItemModel,
  OrderModel,
  ProductModel,
  UserModel,
} from './models.js';
import { isTimestamp } from './timestamps.js';

/** Whether one record has the shape docs/upstreams.openapi.yaml promises for it. */
export type RecordGuard<T> = (value: unknown) => value is T;

// Each guard checks every field the schema can expose, with the GraphQL type it will be
// serialised as: a record that passes cannot fail later as INTERNAL_SERVER_ERROR deep inside
// the response ("Cannot return null for non-nullable field Product.name"), it fails here, as
// the service's UPSTREAM_ERROR on the field that asked for it.

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
/** GraphQL's Int is 32-bit signed; a larger amount could not be answered. */
const isInt = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= -2_147_483_648 && (value as number) <= 2_147_483_647;
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: unknown): value is T =>
    (values as readonly unknown[]).includes(value);

const isRole = oneOf(['USER', 'ADMIN'] as const);
const isOrderStatus = oneOf(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const);
const isNotificationKind = oneOf(['ORDER', 'PROMO', 'SYSTEM'] as const);

const isMoney = (value: unknown): value is MoneyModel =>
  isObject(value) && isInt(value.amount) && isString(value.currency);

const isOrderItem = (value: unknown): value is OrderItemModel =>
  isObject(value) && isString(value.productId) && isInt(value.quantity) && isMoney(value.unitPrice);

/** A user of the users service. */
export const isUserRecord: RecordGuard<UserModel> = (v): v is UserModel =>
  isObject(v) &&
  isString(v.id) &&
  isString(v.name) &&
  isString(v.email) &&
  isRole(v.role) &&
  isTimestamp(v.createdAt);

/** A product of the products service. */
export const isProductRecord: RecordGuard<ProductModel> = (v): v is ProductModel =>
  isObject(v) && isString(v.id) && isString(v.name) && isMoney(v.price) && typeof v.inStock === 'boolean';

/** An order of the orders service. */
export const isOrderRecord: RecordGuard<OrderModel> = (v): v is OrderModel =>
  isObject(v) &&
  isString(v.id) &&
  isString(v.userId) &&
  isOrderStatus(v.status) &&
  Array.isArray(v.items) &&
  v.items.every(isOrderItem) &&
  isMoney(v.total) &&
  isTimestamp(v.createdAt);

/** A notification of the notifications service. */
export const isNotificationRecord: RecordGuard<NotificationModel> = (v): v is NotificationModel =>
  isObject(v) &&
  isString(v.id) &&
  isString(v.userId) &&
  isNotificationKind(v.kind) &&
  isString(v.message) &&
  typeof v.read === 'boolean' &&
  isTimestamp(v.createdAt);
