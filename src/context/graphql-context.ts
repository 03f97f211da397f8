import type DataLoader from 'dataloader';
import type { Identity } from '../auth/identity.js';
import type { Loaders } from '../loaders/index.js';
import type { DegradedTracker } from '../observability/degraded.js';
import type { RequestStats } from '../observability/request-stats.js';
import type { ExecutionHints } from '../operation/measure.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';

/** What every resolver of one GraphQL request can reach. Built once per request. */
export interface GraphQLContext {
  identity: Identity;
  /** The client's IP: the socket's, or X-Forwarded-For's when the peer is a trusted proxy. */
  clientIp: string;
  /** Headers, deadline, abort signal and observer for this request's upstream calls. */
  call: CallContext;
  loaders: Loaders;
  upstream: UpstreamClient;
  /** Told after a mutation succeeded: the user's cached answers are dropped (the response cache). */
  onMutation?: (userId: string) => Promise<void>;
  /** `@rest` batch loaders, made on first use by a batched field of this request. */
  restLoaders?: Map<string, DataLoader<string, unknown>>;
  /** What the operation analysis tells the executor (absent for batches: they run on graphql-js). */
  executionHints?: ExecutionHints;
  /** The request's cost accounting (log line, Server-Timing, fan-out report). */
  stats?: RequestStats;
  /** `@rateLimit` calls of a mutation whose quota the preflight already took, by `Type.field`. */
  rateLimitReservations?: Map<string, number>;
  /** Present for subscription operations: the sources a subscription field may listen to. */
  subscriptions?: { notifications(userId: string): AsyncIterable<unknown> };
  /** Present when stale-if-error is configured for some service. */
  degraded?: DegradedTracker;
}
