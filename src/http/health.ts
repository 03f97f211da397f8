import type { FastifyInstance } from 'fastify';

/** Whether the gateway takes traffic: false while starting and again once draining begins. */
export interface Readiness {
  ready: boolean;
}

/** `/health` (liveness: the process answers) and `/ready` (readiness: route traffic here). */
export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/health', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get('/ready', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
    if (readiness.ready) return reply.send({ status: 'ready' });
    return reply.code(503).send({ status: 'unavailable' });
  });
}
