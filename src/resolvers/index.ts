import type { Resolvers } from '../generated/resolvers-types.js';
import { Dashboard } from './dashboard.js';
import { Money } from './money.js';
import { Mutation } from './mutation.js';
import { OrderItem } from './order.js';
import { Query } from './query.js';
import { DateTimeScalar } from './scalars.js';
import { Subscription } from './subscription.js';
import { User } from './user.js';

/** Every resolver of the base schema, typed by the generated resolver types. */
export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,
  Query,
  Mutation,
  Subscription,
  Dashboard,
  User,
  OrderItem,
  Money,
};
