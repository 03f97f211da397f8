// One scenario in one user mode: fresh processes, the correctness gate, interleaved rounds of
// every target, and (for S1) G's heap check, then everything is stopped.
import { readFileSync } from 'node:fs';
import type { Build } from './build.js';
import type { BenchOptions } from './cli-options.js';
import { checkAgreement, type Expected } from './correctness.js';
import { benchApiKey, dashboardBody, dashboardWithRecommendationsBody } from './dashboard.js';
import { checkHeap, type HeapCheck } from './heap-check.js';
import { runLoad } from './load.js';
import { type Measurement, measure } from './measure.js';
import { peakRssKb } from './processes.js';
import { ratios, type ScenarioResult, summarise } from './report.js';
import type { Scenario } from './scenarios.js';
import { type ScenarioStack, startScenarioStack } from './stack.js';
import { checkStubsAgainstDemo } from './stubs/check-against-demo.js';
import type { TargetName } from './targets.js';
import { type BenchUser, createRotation, type Rotation, type UserModeId } from './user-modes.js';
import { userNumber } from './users.js';

export interface ScenarioRunContext {
  options: BenchOptions;
  build: Build;
  /** The run's temp dir. */
  dir: string;
  users: BenchUser[];
  /** Scenarios already run (S4 takes its rate from S2's G). */
  done: ScenarioResult[];
  /** Whether this run also does the heap check. */
  heapCheck: boolean;
  /** Whether to compare the stubs with the demo services first (once per bench run is enough). */
  checkStubs: boolean;
  log(line: string): void;
}

/** Runs `scenario` with users in `mode`; the stack is closed whatever happens. */
export async function runScenario(
  scenario: Scenario,
  mode: UserModeId,
  context: ScenarioRunContext,
): Promise<ScenarioResult> {
  const { options, log, users } = context;
  const key = `${scenario.id} ${mode}`;
  const reuse = mode === 'session' ? options.sessionReuse : 1;
  const targets = options.targetsGiven ? options.targets : (scenario.defaultTargets ?? options.targets);
  log(`\n${key}: ${scenario.title}; ${mode === 'fresh' ? 'a new user per request' : `each token ×${reuse}`}`);
  let phaseStart = Date.now();
  const elapsed = () => {
    const seconds = (Date.now() - phaseStart) / 1000;
    phaseStart = Date.now();
    return `${seconds.toFixed(1)} s`;
  };
  const stack = await startScenarioStack(scenario, {
    dir: context.dir,
    build: context.build,
    targets,
    upstreams: options.upstreams,
    userCount: users.length + 1,
  });
  log(
    `  started the ${options.upstreams === 'stubs' ? 'upstream stubs' : 'demo services'} and ${targets.join(', ')} (${elapsed()})`,
  );
  try {
    if (context.checkStubs && options.upstreams === 'stubs') {
      const copies = [users.length >> 1, users.length - 1].map((i) => userNumber(users[i]!.userId)!);
      const compared = await checkStubsAgainstDemo(stack.urls, {
        productsCacheControl: scenario.productsCacheControl,
        copies,
      });
      log(`  the stubs answered ${compared} requests exactly as the demo services do (${elapsed()})`);
    }
    const headers: Record<string, string> = scenario.gateway.apiKey ? { 'x-api-key': benchApiKey } : {};
    const body = scenario.recommendations ? dashboardWithRecommendationsBody : dashboardBody;
    const expected = await checkAgreement(
      stack.targets.map((t) => ({ name: t.name, url: t.url })),
      users,
      headers,
      options.gateUsers,
      body,
    );
    log(
      `  correctness gate: ${stack.targets.map((t) => t.name).join(', ')} agree on ${options.gateUsers} users ` +
        `spread over ${users.length.toLocaleString('en-US')} (${elapsed()})`,
    );
    // Each server walks its own rotation, so each sees every user once before any comes back.
    const rotations = new Map<TargetName, Rotation>(
      stack.targets.map((t) => [t.name, createRotation(users, { id: mode, reuse }, options.connections)]),
    );
    const load = (name: TargetName) => ({ rotation: rotations.get(name)!, expected, headers, body });

    let rate: ScenarioResult['rate'];
    if (scenario.rateShareOfGS2 !== undefined) rate = await arrivalRate(scenario, context, stack, load('G'));

    const measurements: Measurement[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const target of stack.targets) {
        const m = await measure(
          stack,
          target,
          load(target.name),
          {
            connections: options.connections,
            durationSeconds: options.durationSeconds,
            warmupSeconds: options.warmupSeconds,
            ...(rate ? { overallRate: rate.requestsPerSecond } : {}),
          },
          round,
        );
        measurements.push(m);
        log(
          `  round ${round} ${target.name}: ${Math.round(m.load.requestsPerSecond)} req/s, p50 ${m.load.p50Ms.toFixed(1)} ms, ` +
            `p99 ${m.load.p99Ms.toFixed(1)} ms, ${Math.round(m.cpuMicrosPerRequest)} µs CPU/req (${m.targetBusyCpus.toFixed(2)} CPUs), ` +
            `upstreams ${Math.round(m.upstreamCpuMicrosPerRequest)} µs/req, ${m.upstreamCallsPerQuery.toFixed(2)} calls/dashboard, ` +
            `others used ${m.otherBusyCpus.toFixed(1)} CPUs, ${m.load.failures} failures` +
            (m.load.firstFailure ? ` (first: ${m.load.firstFailure})` : ''),
        );
      }
    }

    let heapCheck: HeapCheck | undefined;
    const gateway = stack.targets.find((t) => t.name === 'G');
    if (context.heapCheck && gateway) {
      log(
        `  heap check: G, ${options.warmupSeconds} s warm-up, forced GC, ${options.heapSeconds} s of load, forced GC`,
      );
      heapCheck = await checkHeap(stack, gateway, load('G'), {
        connections: options.connections,
        warmupSeconds: options.warmupSeconds,
        seconds: options.heapSeconds,
      });
      log(
        `  heap check: ${heapCheck.baseline.heapUsedMb.toFixed(1)} → ${heapCheck.after.heapUsedMb.toFixed(1)} MB heap used ` +
          `(${(heapCheck.growth * 100).toFixed(1)}%), ${heapCheck.passed ? 'flat' : 'GREW'}; ` +
          `${Math.round(heapCheck.requestsPerSecond)} req/s, ${heapCheck.failures} failures (${elapsed()})`,
      );
    }

    const targets: ScenarioResult['targets'] = {};
    for (const target of stack.targets) {
      targets[target.name] = summarise(
        target.name,
        measurements.filter((m) => m.target === target.name),
        peakRssKb(target.child.pid),
      );
    }
    return {
      id: scenario.id,
      mode,
      key,
      title: scenario.title,
      latencyMs: scenario.latencyMs,
      reuse,
      ...(rate ? { rate } : {}),
      targets,
      ratios: ratios(targets, rate !== undefined),
      ...(heapCheck ? { heapCheck } : {}),
      ...(gateway ? { gatewayLogLines: countLines(gateway.logFile) } : {}),
      measurements,
    };
  } finally {
    await stack.close();
  }
}

/** S4's rate: half of G's S2 median from this run, else from a short closed-loop run of G here. */
async function arrivalRate(
  scenario: Scenario,
  context: ScenarioRunContext,
  stack: ScenarioStack,
  load: { rotation: Rotation; expected: Expected; headers: Record<string, string>; body?: string },
): Promise<NonNullable<ScenarioResult['rate']>> {
  const share = scenario.rateShareOfGS2!;
  const s2 = context.done.find((s) => s.id === 'S2')?.targets.G;
  if (s2) {
    return {
      requestsPerSecond: Math.round(s2.requestsPerSecond * share),
      basis: `${share} × G's S2 median of this run`,
    };
  }
  const gateway = stack.targets.find((t) => t.name === 'G');
  if (!gateway) throw new Error('S4 needs G (or S2 in the same run) to set its arrival rate');
  const { options } = context;
  const calibration = await runLoad(
    { ...load, url: gateway.url },
    { connections: options.connections, durationSeconds: Math.max(3, options.durationSeconds / 2) },
  );
  return {
    requestsPerSecond: Math.round(calibration.requestsPerSecond * share),
    basis: `${share} × G's closed-loop throughput in a calibration run (S2 was not run)`,
  };
}

function countLines(file: string | undefined): number {
  if (!file) return 0;
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
