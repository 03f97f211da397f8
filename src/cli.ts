#!/usr/bin/env node
// The gateway alone, in front of real services: `switchboard --config FILE`.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { readUsableCpus } from './cluster/cpus.js';
import { clusterMetricsReader } from './cluster/metrics.js';
import { runPrimary } from './cluster/primary.js';
import { ConfigError, loadConfig } from './config/load.js';
import { maxWorkers } from './config/schema.js';
import type { GatewayConfig } from './config/types.js';
import type { Gateway } from './gateway.js';
import { createLogger } from './logger.js';

const usage = `Usage: switchboard [--config FILE] [--workers N|auto]

Starts the Switchboard GraphQL gateway. Every setting has a default; the four service URLs
must come from the config file or from USERS_URL, ORDERS_URL, NOTIFICATIONS_URL, PRODUCTS_URL.
--workers runs N processes on one port (auto: the CPUs this process may use, cgroup quota included);
it overrides server.workers.
See docs/configuration.md.`;

/** Parses argv, loads the config, starts the gateway; exits non-zero with a clear message on failure. */
export async function main(argv: string[]): Promise<void> {
  let file: string | undefined;
  let workersFlag: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        workers: { type: 'string', short: 'w' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return;
    }
    file = values.config;
    workersFlag = values.workers;
    // The same bound as server.workers in the config schema.
    const count = Number(workersFlag);
    if (
      workersFlag !== undefined &&
      workersFlag !== 'auto' &&
      !(/^[1-9]\d*$/.test(workersFlag) && count <= maxWorkers)
    ) {
      throw new Error(
        `--workers must be a whole number from 1 to ${maxWorkers}, or auto; got "${workersFlag}"`,
      );
    }
  } catch (error: unknown) {
    fail(`${(error as Error).message}\n\n${usage}`, 2);
  }

  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig({ file, env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration\n${error.message}`, 1);
    throw error;
  }
  const { config, warnings } = loaded;
  const logger = createLogger(config.log.level);
  // Workers have loaded the same file: the primary has already said what was wrong with it.
  if (cluster.isPrimary) for (const warning of warnings) logger.warn(warning);

  const workers = cluster.isPrimary ? workerCount(workersFlag ?? config.server.workers) : 1;
  if (workers > 1) {
    const refusal = sharedStateProblem(config, workers);
    if (refusal) fail(refusal, 1);
    if (config.rateLimits.store === 'memory') {
      logger.warn(
        { workers },
        'rateLimits.store is memory with several workers: each worker counts its own limits, caches and persisted queries',
      );
    }
    runPrimary({ workers, logger, graceMs: config.server.shutdownGraceMs });
    return;
  }

  let gateway: Gateway;
  try {
    // Loaded only now: the gateway's module graph (Fastify, Apollo, graphql-js) takes over a
    // second to import, which --help and a refused configuration should not have to wait for.
    const { createGateway } = await import('./gateway.js');
    // SWITCHBOARD_ENGINE=graphql-js runs every operation on graphql-js alone (the executor's A/B).
    const engine = process.env.SWITCHBOARD_ENGINE === 'graphql-js' ? 'graphql-js' : 'graphql-jit';
    gateway = await createGateway(config, {
      logger,
      engine,
      clusterMetrics: cluster.isWorker ? clusterMetricsReader : undefined,
      configSource: { file, env: process.env },
    });
    const address = await gateway.listen();
    logger.info({ url: `${address}/graphql` }, 'switchboard is ready');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      fail(`port ${config.server.port} on ${config.server.host} is already in use`, 1);
    if (code === 'EACCES') fail(`not allowed to listen on port ${config.server.port}`, 1);
    if (code === 'EADDRNOTAVAIL') fail(`host ${config.server.host} is not an address of this machine`, 1);
    // A broken client extension: its file and line, plainly, like a broken config.
    if (code === 'CLIENT_SCHEMA_INVALID') fail((error as Error).message, 1);
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(1);
  }
  onShutdownSignal(gateway, config.server.shutdownGraceMs, logger);
  // SIGHUP: re-read the config file and clients.dir; in-flight requests finish on the old one.
  process.on('SIGHUP', () => void gateway.reload());
}

/** SIGTERM/SIGINT: stop taking traffic, let in-flight requests finish, exit 0 by the grace deadline. */
function onShutdownSignal(gateway: Gateway, graceMs: number, logger: ReturnType<typeof createLogger>): void {
  let draining = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (draining) {
      logger.warn({ signal }, 'already shutting down');
      return;
    }
    draining = true;
    logger.info({ signal, graceMs }, 'shutting down');
    // Requests still running at the deadline are cut: the process exits anyway.
    setTimeout(() => {
      logger.warn('grace period over; exiting with requests still in flight');
      process.exit(0);
    }, graceMs).unref();
    // A worker is a lame duck first: /ready says 503 at once, but it keeps taking connections a
    // moment longer, since the primary has already accepted some on its behalf and would reset
    // them once every worker stopped listening. A fifth of the grace period, one second at most.
    // A single process stops listening at once: new connections are refused.
    gateway.readiness.ready = false;
    const lameDuckMs = cluster.isWorker ? Math.min(1_000, graceMs / 5) : 0;
    new Promise((resolve) => setTimeout(resolve, lameDuckMs))
      .then(() => gateway.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing');
          process.exit(0);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/** `auto` is the CPUs this process may use (the container's quota first); a number is itself. */
function workerCount(setting: number | string): number {
  return setting === 'auto' ? readUsableCpus() : Number(setting);
}

/**
 * Several processes share nothing in memory: rate limits, persisted queries and caches must be in
 * Redis, or each process would hold its own and a limit of 100 would allow 100 per worker.
 * Without Redis that is refused, unless the operator said `rateLimits.store: memory` knowingly.
 */
function sharedStateProblem(config: GatewayConfig, workers: number): string | undefined {
  if (config.redis.url || (config.rateLimits.store === 'memory' && config.rateLimits.storeExplicit))
    return undefined;
  return `${workers} workers need shared state: set redis.url (REDIS_URL) so limits, persisted queries and caches hold across them, or set rateLimits.store: memory to accept per-worker limits`;
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(exitCode);
}

await main(process.argv.slice(2));
