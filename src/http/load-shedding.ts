import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { errorBody } from '../errors.js';
import type { GatewayMetrics } from '../metrics/metrics.js';

// Probes and scrapes must keep answering under load: an orchestrator that sees /health fail
// restarts a gateway that is merely busy, which makes the overload worse.
const neverShed = new Set(['/health', '/ready', '/metrics']);
const retryAfterSeconds = 2;
// under-pressure reads an interval with no loop sample as an infinite delay: at 100 ms one busy
// burst of work sheds requests, at a second only a loop that is really stuck does.
const sampleIntervalMs = 1_000;

/**
 * When the event loop lags past `maxEventLoopDelayMs`, new requests get 503 with Retry-After
 * at once instead of joining a queue that only grows (`@fastify/under-pressure`).
 */
export async function registerLoadShedding(
  app: FastifyInstance,
  maxEventLoopDelayMs: number,
  metrics: GatewayMetrics,
): Promise<void> {
  if (maxEventLoopDelayMs === 0) return;
  // Start-up itself blocks the loop (module loading, schema build): the first samples would shed
  // the first requests of a healthy gateway. Shedding is armed two samples after it is ready.
  let armedAt = Number.POSITIVE_INFINITY;
  app.addHook('onReady', async () => {
    armedAt = performance.now() + 2 * sampleIntervalMs;
  });
  await app.register(underPressure, {
    maxEventLoopDelay: maxEventLoopDelayMs,
    sampleInterval: sampleIntervalMs,
    pressureHandler: (request, reply) => {
      if (performance.now() < armedAt || neverShed.has(request.url.split('?')[0]!)) return undefined;
      metrics.shedRequests.inc();
      void reply.code(503).header('retry-after', String(retryAfterSeconds)).type('application/json');
      // under-pressure sends a non-null return value as the answer (handlePressure in its index.js)
      // and lets the request through on undefined; its types only say void.
      return errorBody(
        'SERVICE_UNAVAILABLE',
        'The gateway is overloaded; retry shortly',
      ) as unknown as undefined;
    },
  });
}
