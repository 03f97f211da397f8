// The primary of `--workers N`: it serves no request itself. It starts N workers on one port
// (node:cluster hands each connection to one of them), replaces a worker that dies, forwards
// SIGHUP (each worker reloads its own config), and on SIGTERM/SIGINT lets every worker drain and
// exits 0 once all have.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { serveClusterMetrics } from './metrics.js';

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** `server.shutdownGraceMs`: workers get this long to drain, plus a margin, before they are killed. */
  graceMs: number;
}

// A replacement waits 250 ms doubling up to 30 s while workers keep dying young; one that lived
// a minute resets it. A crash loop costs a restart every 30 s, not a spinning CPU.
const firstDelayMs = 250;
const maxDelayMs = 30_000;
const healthyAfterMs = 60_000;

/** Runs the primary until every worker has exited after a shutdown signal. */
export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  let stopping = false;
  let everListening = false;
  let failures = 0;
  const startedAt = new Map<Worker, number>();
  serveClusterMetrics();

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker, performance.now());
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker started');
  };

  cluster.on('listening', (worker) => {
    if (!everListening)
      logger.info({ workers: options.workers }, 'all workers starting; first one listening');
    everListening = true;
    logger.debug({ worker: worker.id, pid: worker.process.pid }, 'worker listening');
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = performance.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      logger.info({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker drained');
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('every worker has drained; exiting');
        process.exit(0);
      }
      return;
    }
    // A worker that fails before any worker ever listened is a start-up failure (port in use, a
    // broken schema): it has said why; more of the same would only repeat it.
    if (!everListening) {
      logger.fatal({ worker: worker.id, code, signal }, 'a worker failed to start; stopping');
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGKILL');
      process.exit(1);
    }
    failures = lived > healthyAfterMs ? 0 : failures + 1;
    const delayMs = failures === 0 ? 0 : Math.min(maxDelayMs, firstDelayMs * 2 ** (failures - 1));
    logger.error(
      { worker: worker.id, pid: worker.process.pid, code, signal, respawnInMs: delayMs },
      'worker died; replacing it',
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs).unref();
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: options.graceMs }, 'shutting down every worker');
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
    // Each worker exits by its own grace deadline; one that does not is killed a little later.
    setTimeout(() => {
      logger.warn('workers still running after the grace period; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(0);
    }, options.graceMs + 2_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: asking every worker to reload its configuration');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });

  for (let i = 0; i < options.workers; i += 1) fork();
}
