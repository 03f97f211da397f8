import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';

/** One accepted connection: its peer, and since when it has had no request in flight. */
interface Tracked {
  address: string;
  inFlight: number;
  /** performance.now() when its last request ended (or it opened); undefined while busy. */
  idleSince: number | undefined;
}

export interface ConnectionLimits {
  /** Open connections per client address; more are closed as they arrive. 0 = no cap. */
  maxPerClient: number;
  /** Peers exempt from the per-client cap (a load balancer carries many clients' connections). */
  trustedProxies: readonly string[];
  /** The server's overall cap (server.maxConnections): pressure is measured against it. */
  maxConnections: number;
  /** The configured idle keep-alive timeout, restored once the pressure is gone. */
  keepAliveTimeoutMs: number;
}

export interface ConnectionTracker {
  /** Connections open now. */
  size(): number;
  /**
   * Closes the connections idle for at least `idleMs`. Only connections whose last answer went
   * out that long ago: a client that just got an answer may be sending its next request now,
   * and closing under it would reset a request the gateway has, in effect, received.
   */
  closeIdle(idleMs: number): void;
  /** Whether connections are past 80% of the overall cap (keep-alive is then short). */
  underPressure(): boolean;
  /** From now on, new connections are closed as they arrive (the drain). */
  refuseNew(): void;
  /** Requests on this connection not yet answered, the current one included (pipelining: more than one). */
  inFlight(socket: Socket): number;
}

// Past 80% of the overall cap, idle keep-alive connections are closed after a second instead of
// the configured timeout, until the count falls back under 60% (a gap, so it does not flap).
const pressureHigh = 0.8;
const pressureLow = 0.6;
const pressureIdleMs = 1_000;
const sweepEveryMs = 250;

/**
 * Connection limits Node's server lacks: a cap per client address (one client holding 10,000 idle
 * keep-alive connections used to starve everyone else for the whole keep-alive timeout) and a
 * shorter keep-alive under pressure. Every connection's idle time is tracked, which the drain
 * uses too.
 */
export function trackConnections(server: Server, limits: ConnectionLimits): ConnectionTracker {
  const connections = new Map<Socket, Tracked>();
  const perAddress = new Map<string, number>();
  const exempt = new Set(limits.trustedProxies.filter((p) => isIP(p) !== 0));
  let pressure = false;
  let refusing = false;

  server.on('connection', (socket: Socket) => {
    if (refusing) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? 'unknown';
    const count = (perAddress.get(address) ?? 0) + 1;
    if (limits.maxPerClient > 0 && count > limits.maxPerClient && !exempt.has(address)) {
      socket.destroy();
      return;
    }
    perAddress.set(address, count);
    connections.set(socket, { address, inFlight: 0, idleSince: performance.now() });
    socket.once('close', () => {
      connections.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const tracked = connections.get(request.socket);
    if (!tracked) return;
    tracked.inFlight += 1;
    tracked.idleSince = undefined;
    response.once('close', () => {
      tracked.inFlight -= 1;
      if (tracked.inFlight === 0) tracked.idleSince = performance.now();
    });
  });

  const closeIdle = (idleMs: number) => {
    const now = performance.now();
    for (const [socket, tracked] of connections) {
      if (tracked.idleSince !== undefined && now - tracked.idleSince >= idleMs) socket.destroy();
    }
  };
  const sweeper = setInterval(() => {
    const size = connections.size;
    if (!pressure && size > limits.maxConnections * pressureHigh) pressure = true;
    else if (pressure && size < limits.maxConnections * pressureLow) pressure = false;
    server.keepAliveTimeout = pressure ? pressureIdleMs : limits.keepAliveTimeoutMs;
    if (pressure) closeIdle(pressureIdleMs);
  }, sweepEveryMs);
  sweeper.unref();
  server.once('close', () => clearInterval(sweeper));

  return {
    size: () => connections.size,
    closeIdle,
    underPressure: () => pressure,
    refuseNew() {
      refusing = true;
    },
    inFlight: (socket) => connections.get(socket)?.inFlight ?? 0,
  };
}
