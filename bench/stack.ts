// Starts what one scenario needs, each in its own process: the upstream services (the bench's
// stubs, or the demo services with --upstreams demo), then the servers under test in parallel.
import type { Build } from './build.js';
import { baseEnv, type Child, spawnNode, stop, waitForReady } from './processes.js';
import type { Scenario, UpstreamUrls } from './scenarios.js';
import { type Target, type TargetName, targetSpecs } from './targets.js';

export type { Target, TargetName } from './targets.js';

/** Which upstream services answer: the bench's stubs, or the demo services (for comparison). */
export type UpstreamKind = 'stubs' | 'demo';

export interface ScenarioStack {
  /** The upstream services' process. */
  upstream: Child;
  /** Its control endpoint (GET /counters). */
  control: string;
  urls: UpstreamUrls;
  targets: Target[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** Temp dir for the gateway's config file and log. */
  dir: string;
  /** The compiled sources every process runs. */
  build: Build;
  targets: readonly TargetName[];
  upstreams: UpstreamKind;
  /** The highest user number the upstreams must know (u1…u<userCount>). */
  userCount: number;
  /** Node flags per server (e.g. --cpu-prof). */
  nodeFlags?: Partial<Record<TargetName, string[]>>;
}

/** Starts the upstream services, then the targets in parallel; closes everything if any fails. */
export async function startScenarioStack(scenario: Scenario, options: StackOptions): Promise<ScenarioStack> {
  const started: Child[] = [];
  const close = async () => {
    await Promise.all(started.map((child) => stop(child)));
  };
  try {
    const upstream =
      options.upstreams === 'stubs'
        ? spawnNode('upstream stubs', options.build.file('bench/stubs/main.ts'), {
            env: baseEnv({
              BENCH_USERS: String(options.userCount),
              BENCH_LATENCY_MS: String(scenario.latencyMs),
              BENCH_PRODUCTS_CACHE_CONTROL: scenario.productsCacheControl,
            }),
          })
        : spawnNode('demo services', options.build.file('bench/demo-process.ts'), {
            env: baseEnv({
              BENCH_LATENCY_MS: String(scenario.latencyMs),
              BENCH_PRODUCTS_CACHE_CONTROL: scenario.productsCacheControl,
            }),
          });
    started.push(upstream);
    const ready = (await waitForReady(upstream, 60_000)) as { urls: UpstreamUrls; control: string };
    const targets = await Promise.all(
      options.targets.map((name) =>
        targetSpecs[name].start({
          scenario,
          urls: ready.urls,
          dir: options.dir,
          build: options.build,
          nodeFlags: options.nodeFlags?.[name] ?? [],
          started,
        }),
      ),
    );
    return { upstream, control: ready.control, urls: ready.urls, targets, close };
  } catch (error) {
    await close();
    throw error;
  }
}
