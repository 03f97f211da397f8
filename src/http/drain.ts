import { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { ConnectionTracker } from './connections.js';

// While draining: how often idle connections are looked at, and how long one must have been
// idle to be closed. A client that just got an answer (with `connection: close`) does not send
// another on that connection; one idle for this long is not about to send one (a client that
// sends after a long pause retries on a closed keep-alive connection, as HTTP lets it).
const sweepEveryMs = 25;
const idleBeforeCloseMs = 250;

/**
 * Drains without resetting a request. On close: new connections are refused, every answer
 * says `connection: close` (the client opens its next request elsewhere), and
 * connections idle for a moment are closed; the server itself is closed only once no connection
 * is left. Node's `server.close()` closes every connection idle at that instant, and that reset
 * requests already on their way on a connection that had just finished its previous one (2 in
 * 14 drains under load, about 7 ms after the signal). The process's grace period bounds the wait.
 */
export function registerDrain(app: FastifyInstance, connections: ConnectionTracker): void {
  let draining = false;
  app.addHook('onSend', async (request, reply, payload) => {
    // Not while another request waits on the same connection (pipelined): Node would close the
    // connection after this answer and drop it. The last one of them says it.
    if (draining && connections.inFlight(request.raw.socket) <= 1) void reply.header('connection', 'close');
    return payload;
  });
  app.addHook('preClose', async () => {
    draining = true;
    // Stop listening (new connections are refused by the OS) without http.Server.close, which
    // would close every idle connection at once; Fastify's own close comes once none is left.
    if (app.server.listening) Server.prototype.close.call(app.server);
    connections.refuseNew();
    while (connections.size() > 0) {
      connections.closeIdle(idleBeforeCloseMs);
      await sleep(sweepEveryMs);
    }
  });
}
