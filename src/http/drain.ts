import type { FastifyInstance } from 'fastify';

// How often idle keep-alive connections are closed while draining.
const sweepEveryMs = 25;

/**
 * Lets `close()` finish as soon as the requests in flight are answered. Node's `server.close()`
 * ends only the connections idle at that moment: a keep-alive connection whose request was in
 * flight would stay open after its answer and hold the drain until `keepAliveTimeout` (72 s by
 * default), far past any grace period. So while draining, connections are closed as soon as
 * Node sees them idle. Node knows about pipelined requests still queued on a connection, which
 * a "Connection: close on the answer" rule would cut.
 */
export function registerDrain(app: FastifyInstance): void {
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => app.server.closeIdleConnections(), sweepEveryMs);
    sweeper.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
  });
}
