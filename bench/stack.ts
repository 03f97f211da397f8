// Starts what one scenario needs, each in its own process: the demo services, R, N and G.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Build } from './build.js';
import { baseEnv, type Child, spawnNode, stop, waitForHttp, waitForReady } from './processes.js';
import { type DemoUrls, gatewayConfig, type Scenario } from './scenarios.js';

export type TargetName = 'R' | 'N' | 'G';

/** A server under test. */
export interface Target {
  name: TargetName;
  /** The GraphQL endpoint. */
  url: string;
  child: Child;
}

export interface ScenarioStack {
  demo: Child;
  /** The demo process's control endpoint (GET /counters). */
  control: string;
  urls: DemoUrls;
  targets: Target[];
  /** Where G's stdout (its logs) goes. */
  gatewayLog?: string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Temp dir for the gateway's config file and log. */
  dir: string;
  /** The compiled sources every process runs. */
  build: Build;
  targets: readonly TargetName[];
  /** Node flags per server (e.g. --cpu-prof). */
  nodeFlags?: Partial<Record<TargetName, string[]>>;
}

/** Starts the demo services, then R, N and G in parallel; closes everything if any fails. */
export async function startScenarioStack(scenario: Scenario, options: StackOptions): Promise<ScenarioStack> {
  const started: Child[] = [];
  const close = async () => {
    await Promise.all(started.map((child) => stop(child)));
  };
  try {
    const demo = spawnNode('demo services', options.build.file('bench/demo-process.ts'), {
      env: baseEnv({
        BENCH_LATENCY_MS: String(scenario.latencyMs),
        BENCH_PRODUCTS_CACHE_CONTROL: scenario.productsCacheControl,
      }),
    });
    started.push(demo);
    const ready = (await waitForReady(demo)) as { urls: DemoUrls; control: string };
    const upstreams = JSON.stringify(ready.urls);

    const starts = options.targets.map(async (name): Promise<Target> => {
      if (name === 'G') return startGateway(scenario, ready.urls, options, started);
      const script = name === 'R' ? 'bench/raw-server.ts' : 'bench/naive-server.ts';
      const child = spawnNode(name, options.build.file(script), {
        nodeFlags: options.nodeFlags?.[name],
        env: baseEnv({ BENCH_UPSTREAMS: upstreams }),
      });
      started.push(child);
      const { url } = (await waitForReady(child)) as { url: string };
      return { name, url: `${url}/graphql`, child };
    });
    const targets = await Promise.all(starts);
    return {
      demo,
      control: ready.control,
      urls: ready.urls,
      targets,
      gatewayLog: join(options.dir, `gateway-${scenario.id}.log`),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startGateway(
  scenario: Scenario,
  urls: DemoUrls,
  options: StackOptions,
  started: Child[],
): Promise<Target> {
  const port = await freePort();
  const configFile = join(options.dir, `gateway-${scenario.id}.json`);
  writeFileSync(configFile, JSON.stringify(gatewayConfig(scenario, urls, port), null, 2));
  // Logs go to a file, as a deployment's would; a pipe read by the busy orchestrator could stall G.
  const log = openSync(join(options.dir, `gateway-${scenario.id}.log`), 'w');
  let child: Child;
  try {
    const { build } = options;
    child = spawnNode('G', build.file('src/cli.ts'), {
      nodeFlags: options.nodeFlags?.G,
      preloads: [
        build.file('bench/exit-with-parent.ts'),
        ...(scenario.gateway.rateLimitDirective ? [build.file('bench/rate-limit-preload.ts')] : []),
      ],
      args: ['--config', configFile],
      env: baseEnv(scenario.gateway.production ? { NODE_ENV: 'production' } : {}),
      stdout: log,
    });
  } finally {
    closeSync(log);
  }
  started.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${base}/ready`);
  return { name: 'G', url: `${base}/graphql`, child };
}

/** A port nothing listens on right now (the gateway takes its port from its config file). */
function freePort(): Promise<number> {
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
