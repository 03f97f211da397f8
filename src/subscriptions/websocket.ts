import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type Context, handleProtocols } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import type { SubscriptionsConfig } from '../config/types.js';
import type { Session, SubscriptionService } from './sessions.js';

const sessionOf = new WeakMap<Context, Session>();

/** connection_init's payload (and a ping's, to renew the token) as headers for the authenticator. */
function headersOf(payload: unknown): Record<string, string | undefined> {
  const params = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const text = (name: string) => (typeof params[name] === 'string' ? (params[name] as string) : undefined);
  return {
    authorization: text('authorization') ?? text('Authorization'),
    'x-api-key': text('x-api-key'),
    'apollographql-client-name': text('apollographql-client-name'),
  };
}

/**
 * graphql-ws (subprotocol `graphql-transport-ws`) on the gateway's own port, path /graphql:
 * - the token comes in `connection_init` (`{ "authorization": "Bearer <JWT>" }`, `x-api-key`
 *   naming the client); a missing or invalid one closes the socket with 4403 before anything
 *   upstream is opened;
 * - a `ping` whose payload carries a fresh token for the same user renews the session: its
 *   subscriptions go on past the old token's `exp` (without it, they end with UNAUTHENTICATED);
 * - handshakes beyond `subscriptions.maxConnections` get 503; messages beyond
 *   `maxMessageBytes` close the socket (1009); `connection_init` must come within
 *   `connectionInitTimeoutMs` (4408); keep-alive pings every `keepAliveMs`.
 */
export function registerWebSocket(
  app: FastifyInstance,
  deps: {
    logger: Logger;
    authenticator: Authenticator;
    service: SubscriptionService;
    config: SubscriptionsConfig;
    production: boolean;
  },
): WebSocketServer {
  const { service, config } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxMessageBytes, handleProtocols });
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (!service.hasRoom()) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n',
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      wss.emit('connection', ws, request);
      // ws has already closed the socket for a protocol error (1002) or an oversized message
      // (1009). graphql-ws would also print it with console.error: a caller could flood stderr,
      // so it is one debug line of ours instead.
      ws.removeAllListeners('error');
      ws.on('error', (error) => deps.logger.debug({ err: error.message }, 'WebSocket protocol error'));
    });
  });

  const authenticate = async (payload: unknown): Promise<Identity | undefined> => {
    try {
      const identity = await deps.authenticator.authenticate(headersOf(payload));
      return identity.userId ? identity : undefined;
    } catch {
      return undefined;
    }
  };

  useServer(
    {
      isProd: deps.production,
      connectionInitWaitTimeout: config.connectionInitTimeoutMs,
      async onConnect(ctx) {
        // Subscriptions need a signed-in user: no token, or an invalid one, is refused (4403).
        const identity = await authenticate(ctx.connectionParams);
        if (!identity) return false;
        sessionOf.set(
          ctx,
          service.open('websocket', identity, ctx.extra.request.socket.remoteAddress ?? 'unknown'),
        );
        return true;
      },
      async onPing(ctx, payload) {
        const session = sessionOf.get(ctx);
        if (!session || payload?.authorization === undefined) return;
        const identity = await authenticate(payload);
        // A token for someone else, or an invalid one, is a protocol abuse: the connection ends.
        if (!identity || !service.renew(session, identity)) ctx.extra.socket.close(4403, 'Forbidden');
      },
      async onSubscribe(ctx, id, payload) {
        const session = sessionOf.get(ctx);
        if (!session) return [];
        return service.start(session, id, payload);
      },
      onComplete(ctx, id) {
        const session = sessionOf.get(ctx);
        if (session) service.end(session, id, 'complete');
      },
      onError(ctx, id) {
        const session = sessionOf.get(ctx);
        if (session) service.end(session, id, 'error');
      },
      onClose(ctx, code) {
        const session = sessionOf.get(ctx);
        if (session) service.close(session, code === 1001 ? 'shutdown' : 'client closed');
      },
    },
    wss,
    config.keepAliveMs,
  );
  return wss;
}
