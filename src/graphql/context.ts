import type { Identity } from '../auth/identity.js';
import type { ResponseCache } from '../cache/response-cache.js';
import type { RestLoaders } from '../directives/rest/resolver.js';
import type { Loaders } from '../loaders/index.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { CallContext } from '../upstream/types.js';
import type { DegradedTracker } from './degraded.js';

/** What every resolver of one GraphQL request can reach. Built once per request. */
export interface GraphQLContext {
  identity: Identity;
  /** The client's IP: the socket's, or X-Forwarded-For's when the peer is a trusted proxy. */
  clientIp: string;
  /** Headers and deadline for this request's upstream calls. */
  call: CallContext;
  loaders: Loaders;
  upstream: UpstreamClient;
  /** Present when whole answers are cached: mutations invalidate the user's entries. */
  responseCache?: ResponseCache;
  /** `@rest` batch loaders, made on first use by a batched field of this request. */
  restLoaders?: RestLoaders;
  /** Present when stale-if-error is configured for some service. */
  degraded?: DegradedTracker;
}
