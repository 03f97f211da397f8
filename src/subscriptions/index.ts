import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import { createNotificationHub } from './hub.js';
import { createSubscriptionService, type SubscriptionServiceDeps } from './sessions.js';
import { createEventStreamStage } from './sse.js';
import { registerWebSocket } from './websocket.js';

export interface Subscriptions {
  /** The /graphql stage that takes `accept: text/event-stream` requests off the query path. */
  eventStreamStage: preHandlerAsyncHookHandler;
  /**
   * Completes every subscription (WebSocket close 1001, SSE `complete`) and closes the upstream
   * streams: clients reconnect to another instance. Called before the HTTP drain.
   */
  shutdown(): Promise<void>;
  /** Upstream streams open now (one per subscribed user). */
  openStreams(): number;
}

/** Subscriptions over WebSocket and SSE, on the gateway's own port. */
export function registerSubscriptions(
  app: FastifyInstance,
  deps: Omit<SubscriptionServiceDeps, 'hub'> & { authenticator: Authenticator; production: boolean },
): Subscriptions {
  const { metrics, logger } = deps;
  const hub = createNotificationHub({
    upstream: deps.upstream,
    maxQueuedEvents: deps.config.maxQueuedEvents,
    onDelivered: () => metrics.subscriptionEvents.inc(),
    onSlowConsumer: () => metrics.slowConsumers.inc(),
    onReconnect(userId, attempt, error) {
      metrics.streamReconnects.inc();
      // Addresses and bodies stay out, as in every log line; the user id says whose stream.
      logger.warn(
        {
          userId,
          attempt,
          err:
            (error as { extensions?: { code?: string } })?.extensions?.code ??
            String((error as Error)?.message ?? error),
        },
        'notification stream reconnecting',
      );
    },
  });
  const service = createSubscriptionService({ ...deps, hub });
  const wss = registerWebSocket(app, {
    logger,
    authenticator: deps.authenticator,
    service,
    config: deps.config,
    production: deps.production,
  });
  return {
    eventStreamStage: createEventStreamStage({ authenticator: deps.authenticator, service }),
    async shutdown() {
      service.endingAll('shutdown');
      for (const client of wss.clients) client.close(1001, 'Going away');
      hub.close();
      // Give the close frames and the final SSE events their moment on the wire.
      const deadline = performance.now() + 2_000;
      while (service.sessions().length > 0 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
    openStreams: () => hub.openStreams(),
  };
}
