// The servers under test, and how each one is started for a scenario. A new target (G with two
// workers, another BFF) is one more entry in `targetSpecs` (and a TargetName).
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Build } from './build.js';
import { baseEnv, type Child, spawnNode, waitForHttp, waitForReady } from './processes.js';
import { gatewayConfig, type Scenario, type UpstreamUrls } from './scenarios.js';

export type TargetName = 'R' | 'N' | 'G' | 'G2';

/** A server under test, running. */
export interface Target {
  name: TargetName;
  /** The GraphQL endpoint. */
  url: string;
  child: Child;
  /** Where its stdout (logs) goes, when it is a file. */
  logFile?: string;
}

export interface TargetContext {
  scenario: Scenario;
  urls: UpstreamUrls;
  /** The run's temp dir (config files, logs). */
  dir: string;
  build: Build;
  /** Extra Node flags (e.g. --cpu-prof). */
  nodeFlags: string[];
  /** Every process started is registered here, so that it is stopped whatever happens. */
  started: Child[];
}

export interface TargetSpec {
  name: TargetName;
  /** One line for the README and the results. */
  title: string;
  start(context: TargetContext): Promise<Target>;
}

/** R, N, G in the order they run in every round; the first one present is the gate's reference. */
export const targetSpecs: Record<TargetName, TargetSpec> = {
  R: {
    name: 'R',
    title: 'raw node:http + undici: exactly the gateway’s upstream calls, no GraphQL engine',
    start: (context) => startBenchServer('R', 'bench/raw-server.ts', context),
  },
  N: {
    name: 'N',
    title: 'naive Apollo Server 5, resolvers fetch per field (no DataLoader)',
    start: (context) => startBenchServer('N', 'bench/naive-server.ts', context),
  },
  G: {
    name: 'G',
    title: 'Switchboard, compiled, with a generated config file',
    start: (context) => startGateway(context, 'G', 1),
  },
  G2: {
    name: 'G2',
    title: 'Switchboard with `server.workers: 2` (node:cluster): what a 2-core machine serves',
    start: (context) => startGateway(context, 'G2', 2),
  },
};

/** R and N: bench scripts that print `READY {"url":…}`. */
async function startBenchServer(name: TargetName, script: string, context: TargetContext): Promise<Target> {
  const child = spawnNode(name, context.build.file(script), {
    nodeFlags: context.nodeFlags,
    env: baseEnv({ BENCH_UPSTREAMS: JSON.stringify(context.urls) }),
  });
  context.started.push(child);
  const { url } = (await waitForReady(child)) as { url: string };
  return { name, url: `${url}/graphql`, child };
}

/**
 * G: src/cli.ts with a config file for the scenario, with --expose-gc and gateway-preload.ts
 * (exit with the bench; SIGUSR2 → forced GC and a heap line on stderr, for the heap check).
 */
async function startGateway(context: TargetContext, name: 'G' | 'G2', workers: number): Promise<Target> {
  const { scenario, build } = context;
  const port = await freePort();
  const configFile = join(context.dir, `gateway-${scenario.id}-${name}.json`);
  const config = gatewayConfig(scenario, context.urls, port);
  // Limits in memory, explicitly: the bench's quotas are never reached, so per-worker counting
  // changes nothing, and a Redis would be one more process on the 2 CPUs.
  (config.server as Record<string, unknown>).workers = workers;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  // Logs go to a file, as a deployment's would; a pipe read by the busy orchestrator could stall G.
  const logFile = join(context.dir, `gateway-${scenario.id}-${name}-${Date.now()}.log`);
  const log = openSync(logFile, 'w');
  let child: Child;
  try {
    child = spawnNode(name, build.file('src/cli.ts'), {
      nodeFlags: ['--expose-gc', ...context.nodeFlags],
      preloads: [
        build.file('bench/gateway-preload.ts'),
        ...(scenario.gateway.rateLimitDirective ? [build.file('bench/rate-limit-preload.ts')] : []),
      ],
      args: ['--config', configFile],
      env: baseEnv({
        ...(scenario.gateway.production ? { NODE_ENV: 'production' } : {}),
        // The executor A/B: SWITCHBOARD_ENGINE=graphql-js npm run bench … runs G without graphql-jit.
        ...(process.env.SWITCHBOARD_ENGINE ? { SWITCHBOARD_ENGINE: process.env.SWITCHBOARD_ENGINE } : {}),
      }),
      stdout: log,
    });
  } finally {
    closeSync(log);
  }
  context.started.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${base}/ready`);
  return { name, url: `${base}/graphql`, child, logFile };
}

/** A port nothing listens on right now (the gateway takes its port from its config file). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
