import { graphql } from './gql/index.js';

/** The whole screen in one request; `npm run codegen` types its result from this text. */
export const webDashboardQuery = graphql(`
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
`);
