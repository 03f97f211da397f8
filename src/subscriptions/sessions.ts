import { randomUUID } from 'node:crypto';
import type { DocumentNode, ExecutionArgs, GraphQLError, OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { Identity } from '../auth/identity.js';
import type { SubscriptionsConfig } from '../config/types.js';
import type { GraphQLContext } from '../context/graphql-context.js';
import { ErrorCode, gatewayError } from '../errors.js';
import type { Endpoint } from '../graphql/endpoint.js';
import { createLoaders } from '../loaders/index.js';
import type { GatewayMetrics } from '../metrics/metrics.js';
import type { TierLimiter } from '../ratelimit/tiers.js';
import type { UpstreamClient } from '../upstream/client.js';
import type { NotificationHub, Subscriber } from './hub.js';

/** One WebSocket connection or SSE request: a caller, and the subscriptions it holds. */
export interface Session {
  readonly transport: 'websocket' | 'sse';
  identity: Identity;
  readonly clientIp: string;
  readonly subscriptions: Map<string, ActiveSubscription>;
  /** Fires at the token's `exp`: every subscription of the session ends with UNAUTHENTICATED. */
  expiry?: NodeJS.Timeout;
}

/** A subscription as it runs: what ends it, and how it ended (for its log line). */
export interface ActiveSubscription {
  readonly startedAt: number;
  operation: string | null;
  readonly subscribers: Subscriber[];
  ended?: string;
}

/** A subscription that passed the tier and the analysis. */
interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  endpoint: Endpoint;
}

/** What a transport asks to run: a GraphQL-over-HTTP or graphql-ws subscribe payload. */
export interface SubscribeRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

export interface SubscriptionServiceDeps {
  config: SubscriptionsConfig;
  hub: NotificationHub;
  tiers: TierLimiter;
  upstream: UpstreamClient;
  metrics: GatewayMetrics;
  logger: Logger;
  endpointFor(client: string): Endpoint;
}

/**
 * What both transports share: the limits (connections per instance, subscriptions per
 * connection and per user), the caller's tier (each new subscription counts), the operation's
 * analysis (parsed once, limits), the GraphQL context a subscription runs with, the token's
 * expiry, and one log line per subscription end with its duration and reason.
 */
export function createSubscriptionService(deps: SubscriptionServiceDeps) {
  const { config, metrics, logger } = deps;
  const sessions = new Set<Session>();
  const perUser = new Map<string, number>();

  const refuse = (code: ErrorCode, message: string) => [gatewayError(code, message)] as const;

  const service = {
    /** Whether another connection fits under `subscriptions.maxConnections`. */
    hasRoom: () => sessions.size < config.maxConnections,

    open(transport: Session['transport'], identity: Identity, clientIp: string): Session {
      const session: Session = { transport, identity, clientIp, subscriptions: new Map() };
      sessions.add(session);
      service.scheduleExpiry(session);
      return session;
    },

    /** A fresh token for the same user (a graphql-ws `ping` payload): the subscriptions go on. */
    renew(session: Session, identity: Identity): boolean {
      if (identity.userId !== session.identity.userId) return false;
      session.identity = identity;
      service.scheduleExpiry(session);
      return true;
    },

    scheduleExpiry(session: Session) {
      clearTimeout(session.expiry);
      const exp = session.identity.expiresAt;
      if (exp === undefined) return;
      // setTimeout holds at most ~24.8 days; a token valid longer is re-checked then.
      const inMs = Math.min(exp * 1000 - Date.now(), 2 ** 31 - 1);
      session.expiry = setTimeout(
        () => {
          if ((session.identity.expiresAt ?? 0) * 1000 > Date.now()) return service.scheduleExpiry(session);
          for (const active of session.subscriptions.values()) {
            active.ended ??= 'unauthenticated';
            for (const subscriber of active.subscribers)
              subscriber.end({ end: 'unauthenticated', message: 'the token expired' });
          }
        },
        Math.max(0, inMs),
      );
      session.expiry.unref();
    },

    /**
     * Checks and prepares one subscription: the limits, the tier, the analysis. Resolves with
     * what to execute, or with the errors to answer (nothing has been opened then).
     */
    async start(
      session: Session,
      id: string,
      request: SubscribeRequest,
    ): Promise<ExecutionArgs | readonly GraphQLError[]> {
      const { identity } = session;
      if (!identity.userId)
        return refuse(ErrorCode.UNAUTHENTICATED, 'subscriptions require a signed-in user');
      if (session.subscriptions.size >= config.maxPerConnection) {
        return refuse(
          ErrorCode.RATE_LIMITED,
          `at most ${config.maxPerConnection} subscriptions per connection (subscriptions.maxPerConnection)`,
        );
      }
      if ((perUser.get(identity.userId) ?? 0) >= config.maxPerUser) {
        return refuse(
          ErrorCode.RATE_LIMITED,
          `at most ${config.maxPerUser} subscriptions per user (subscriptions.maxPerUser)`,
        );
      }
      // The slot is taken before the first await: subscribe messages sent in one burst are
      // checked one after another, never all against the same count.
      const active: ActiveSubscription = { startedAt: performance.now(), operation: null, subscribers: [] };
      session.subscriptions.set(id, active);
      perUser.set(identity.userId, (perUser.get(identity.userId) ?? 0) + 1);
      metrics.subscriptionsActive.inc({ transport: session.transport });
      const prepared = await service.prepare(session, request);
      if (Array.isArray(prepared)) {
        active.ended = 'refused';
        service.end(session, id, 'refused', { quiet: true });
        return prepared;
      }
      // The connection may have closed while the tier was asked: then nothing may start.
      if (session.subscriptions.get(id) !== active)
        return refuse(ErrorCode.BAD_REQUEST, 'the connection closed');
      const { document, operation, endpoint } = prepared as Prepared;
      active.operation = operation.name?.value ?? null;
      return {
        schema: endpoint.schema,
        document,
        operationName: operation.name?.value,
        variableValues: variablesOf(request.variables),
        contextValue: contextFor(session, active, deps),
      };
    },

    /** The tier and the operation's analysis: what to execute, or the errors to answer. */
    async prepare(session: Session, request: SubscribeRequest): Promise<Prepared | readonly GraphQLError[]> {
      const { identity } = session;
      const verdict = await deps.tiers.check(identity, session.clientIp, 1);
      if (verdict.retryAfterSeconds !== undefined) {
        metrics.rejections.inc({ reason: 'rate_limit' });
        return [
          gatewayError(ErrorCode.RATE_LIMITED, verdict.message ?? 'rate limited', {
            retryAfterSeconds: verdict.retryAfterSeconds,
          }),
        ];
      }
      if (typeof request.query !== 'string')
        return refuse(ErrorCode.BAD_REQUEST, 'a subscription needs a `query`');
      const endpoint = deps.endpointFor(identity.clientName);
      const result = endpoint.analyzer.analyze(request.query, request.operationName, request.variables);
      if (result.kind === 'rejected') {
        metrics.rejections.inc({ reason: result.rejection.limit });
        return [gatewayError(ErrorCode.QUERY_TOO_COMPLEX, result.rejection.message)];
      }
      if (result.kind === 'unparsed') return endpoint.analyzer.errorsOf(request.query, request.operationName);
      const { document, operation } = result.analysis;
      if (operation.operation !== 'subscription') {
        return refuse(
          ErrorCode.BAD_REQUEST,
          'only subscriptions are served here: send queries and mutations to POST /graphql',
        );
      }
      return { document, operation, endpoint };
    },

    /** A subscription ended (completed by either side, or failed): counters, and its log line. */
    end(session: Session, id: string, reason: string, options: { quiet?: boolean } = {}) {
      const active = session.subscriptions.get(id);
      if (!active) return;
      session.subscriptions.delete(id);
      for (const subscriber of active.subscribers) subscriber.end();
      const userId = session.identity.userId!;
      const left = (perUser.get(userId) ?? 1) - 1;
      if (left > 0) perUser.set(userId, left);
      else perUser.delete(userId);
      metrics.subscriptionsActive.dec({ transport: session.transport });
      // A refused subscribe never ran: the caller has its error, and there is no life to log.
      if (options.quiet) return;
      logger.info(
        {
          transport: session.transport,
          client: session.identity.clientName,
          operation: active.operation,
          durationMs: Math.round(performance.now() - active.startedAt),
          reason: active.ended ?? reason,
        },
        'subscription ended',
      );
    },

    close(session: Session, reason: string) {
      for (const id of [...session.subscriptions.keys()]) service.end(session, id, reason);
      clearTimeout(session.expiry);
      sessions.delete(session);
    },

    /** Names why every open subscription is about to end (their log lines say it). */
    endingAll(reason: string) {
      for (const session of sessions)
        for (const active of session.subscriptions.values()) active.ended ??= reason;
    },

    /** Sessions open now (the drain waits for them, tests look). */
    sessions: () => [...sessions],
  };
  return service;
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;

/** The context a subscription runs with: its caller, and its sources, watched by its session. */
function contextFor(
  session: Session,
  active: ActiveSubscription,
  deps: SubscriptionServiceDeps,
): GraphQLContext {
  const call = {
    requestId: randomUUID(),
    clientName: session.identity.clientName,
    userId: session.identity.userId,
    userRole: session.identity.role,
    // A subscription has no deadline of its own: each event's fields may call services for a
    // minute at most, counted from when they ask (not from when the subscription began).
    get deadline() {
      return performance.now() + 60_000;
    },
  };
  let loaders: GraphQLContext['loaders'] | undefined;
  return {
    identity: session.identity,
    clientIp: session.clientIp,
    call,
    upstream: deps.upstream,
    // Made on first use: a subscription whose events need no other service (notificationAdded)
    // never pays for a set of DataLoaders, which is most of an idle subscription's memory.
    get loaders() {
      loaders ??= createLoaders(deps.upstream, call);
      return loaders;
    },
    subscriptions: {
      notifications(userId) {
        const subscriber = deps.hub.subscribe(userId);
        active.subscribers.push(subscriber);
        return subscriber.events;
      },
    },
  };
}

function variablesOf(variables: unknown): Record<string, unknown> | undefined {
  if (typeof variables === 'string') {
    try {
      return variablesOf(JSON.parse(variables));
    } catch {
      return undefined;
    }
  }
  return typeof variables === 'object' && variables !== null && !Array.isArray(variables)
    ? (variables as Record<string, unknown>)
    : undefined;
}
