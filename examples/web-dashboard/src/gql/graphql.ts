/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What a notification is about. */
export type NotificationKind =
  /** About one of the user's orders. */
  | 'ORDER'
  /** A promotion. */
  | 'PROMO'
  /** About the account or the service. */
  | 'SYSTEM';

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

export type WebDashboardQueryVariables = Exact<{ [key: string]: never; }>;


export type WebDashboardQuery = { dashboard: { unreadCount: number | null, user: { name: string, email: string }, recentOrders: Array<{ id: string, status: OrderStatus, createdAt: string, total: { formatted: string }, items: Array<{ quantity: number, product: { name: string } | null }> }> | null, notifications: Array<{ id: string, kind: NotificationKind, message: string, read: boolean }> | null } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const WebDashboardDocument = new TypedDocumentString(`
    query WebDashboard {
  dashboard {
    user {
      name
      email
    }
    recentOrders(limit: 5) {
      id
      status
      createdAt
      total {
        formatted
      }
      items {
        quantity
        product {
          name
        }
      }
    }
    notifications(limit: 5) {
      id
      kind
      message
      read
    }
    unreadCount
  }
}
    `) as unknown as TypedDocumentString<WebDashboardQuery, WebDashboardQueryVariables>;