// `npm run bench`: Switchboard (G) against a raw node:http + undici server (R) and a naive Apollo
// BFF (N), all serving the README's dashboard query over the same demo services. See bench/README.md.
//
//   npm run bench                      S1–S5, 3 rounds of R, N, G interleaved, 3 s warm-up + 10 s each
//   npm run bench -- --quick           S1 and S2, 1 round, 2 s + 5 s (about a minute)
//   npm run bench -- --profile         CPU profile of G under S1 (node --cpu-prof): top frames;
//                                      add --targets R,G to profile R too (one after the other)
//
// Flags (after `--`): --scenarios S1,S3  --rounds N  --warmup SECONDS  --duration SECONDS
//   --connections N  --users N (rotated, u2…u<N+1>)  --gate-users N (all servers compared on N users
//   before load, R alone answers the rest; default all, 100 with --quick)  --targets R,N,G
//   --no-write (leave results/ alone)
//
// src/ and bench/ are compiled to JavaScript first (build.ts), so every server runs as deployed.
// Every run then checks that R, N and G answer the users identically (abort on any difference),
// and checks every answer under load. Each scenario starts fresh processes; all are killed at the
// end, on error and on Ctrl+C. Results: stdout, bench/results/latest.json, bench/RESULTS.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Build, buildForBench } from './build.js';
import { checkAgreement, GateError } from './correctness.js';
import { benchApiKey, signBenchToken } from './dashboard.js';
import { type BenchUser, runLoad } from './load.js';
import { type Measurement, measure } from './measure.js';
import { killAllNow, peakRssKb, stopAll } from './processes.js';
import { profileTargets } from './profile-run.js';
import {
  machine,
  type RunReport,
  ratios,
  type ScenarioResult,
  summarise,
  tables,
  writeResults,
} from './report.js';
import { type Scenario, type ScenarioId, scenarios } from './scenarios.js';
import { startScenarioStack, type TargetName } from './stack.js';

const benchDir = dirname(fileURLToPath(import.meta.url));

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string' },
    users: { type: 'string' },
    'gate-users': { type: 'string' },
    targets: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (flags.help) {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(`${/^(\/\/.*\n)+/.exec(source)?.[0].replace(/^\/\/ ?/gm, '') ?? ''}`);
  process.exit(0);
}

function number(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) {
    process.stderr.write(`bench: --${name} must be a number >= ${min}, got ${value}\n`);
    process.exit(2);
  }
  return parsed;
}

const quick = flags.quick;
const settings = {
  connections: number('connections', flags.connections, 50, 1),
  warmupSeconds: number('warmup', flags.warmup, quick ? 2 : 3, 0),
  durationSeconds: number('duration', flags.duration, quick ? 5 : 10, 1),
  rounds: Math.round(number('rounds', flags.rounds, quick || flags.profile ? 1 : 3, 1)),
  users: Math.round(number('users', flags.users, 500, 1)),
};
// How many users (spread over the list) all servers must agree on before load; R answers the rest.
const gateUsers = Math.round(number('gate-users', flags['gate-users'], quick ? 100 : settings.users, 1));
const scenarioIds = (flags.scenarios ?? (quick ? 'S1,S2' : flags.profile ? 'S1' : 'S1,S2,S3,S4,S5'))
  .split(',')
  .map((id) => id.trim().toUpperCase());
for (const id of scenarioIds) {
  if (!(id in scenarios)) {
    process.stderr.write(`bench: unknown scenario ${id} (known: ${Object.keys(scenarios).join(', ')})\n`);
    process.exit(2);
  }
}
const targetNames = (flags.targets ?? (flags.profile ? 'G' : 'R,N,G'))
  .split(',')
  .map((t) => t.trim()) as TargetName[];
if (targetNames.some((t) => !['R', 'N', 'G'].includes(t))) {
  process.stderr.write('bench: --targets takes R, N and/or G\n');
  process.exit(2);
}

// Bounded in time: twice the planned load time plus start-up slack, then everything is killed.
const perScenario =
  settings.rounds * targetNames.length * (settings.warmupSeconds + settings.durationSeconds + 1);
const budgetMs = (scenarioIds.length * (2 * perScenario + 60) + 30) * 1000;
// The gateway's config files and logs, removed at the end whatever happens.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const removeDir = () => rmSync(dir, { recursive: true, force: true });

const watchdog = setTimeout(() => {
  process.stderr.write(`bench: gave up after ${Math.round(budgetMs / 1000)} s; stopping everything\n`);
  void stopAll().finally(() => {
    removeDir();
    process.exit(2);
  });
}, budgetMs);

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping every process\n`);
    void stopAll().finally(() => {
      removeDir();
      process.exit(130);
    });
  });
}

const log = (line: string) => process.stderr.write(`${line}\n`);

try {
  const users: BenchUser[] = await Promise.all(
    Array.from({ length: settings.users }, async (_, i) => {
      const userId = `u${i + 2}`; // u1 is the demo's ADMIN; everyone here is an ordinary USER
      return { userId, token: await signBenchToken(userId) };
    }),
  );
  const started = Date.now();
  const build = buildForBench(dirname(benchDir), dir, log);
  log(`bench: compiled src/ and bench/ (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (flags.profile) {
    await profileTargets({
      build,
      scenario: scenarios[scenarioIds[0] as ScenarioId],
      targets: targetNames,
      users,
      gateUsers,
      dir,
      settings,
      resultsDir: flags['no-write'] ? undefined : join(benchDir, 'results'),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
      log,
    });
  } else await benchmark(users, build);
} catch (error) {
  if (error instanceof GateError)
    log(`\nbench: correctness gate failed, nothing was measured:\n${error.message}`);
  else log(`\nbench: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await stopAll();
  removeDir();
}

async function benchmark(users: BenchUser[], build: Build): Promise<void> {
  const report: RunReport = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: machine(),
    settings: { ...settings, gateUsers: Math.min(gateUsers, settings.users) },
    scenarios: [],
  };
  log(
    `bench: ${scenarioIds.join(', ')}; ${settings.rounds} round(s) of ${targetNames.join(', ')}; ` +
      `${settings.warmupSeconds} s + ${settings.durationSeconds} s each; ${settings.connections} connections; ` +
      `load average ${report.machine.loadAverage1m.toFixed(2)} on ${report.machine.nproc} CPUs`,
  );
  for (const id of scenarioIds) {
    report.scenarios.push(await runScenario(scenarios[id as ScenarioId], users, build, report.scenarios));
  }
  const failed = report.scenarios.some((s) =>
    Object.values(s.targets).some((t) => t.failures > 0 || t.warmupFailures > 0),
  );
  process.stdout.write(`\n${tables(report)}\n`);
  if (!flags['no-write']) {
    writeResults(report, benchDir);
    log('\nbench: wrote bench/results/latest.json and bench/RESULTS.md');
  }
  if (failed) {
    log('bench: some answers under load were wrong or missing (see "failures"; details in latest.json)');
    process.exitCode = 1;
  }
}

async function runScenario(
  scenario: Scenario,
  users: BenchUser[],
  build: Build,
  done: ScenarioResult[],
): Promise<ScenarioResult> {
  log(`\n${scenario.id}: ${scenario.title}`);
  let phaseStart = Date.now();
  const elapsed = () => {
    const seconds = (Date.now() - phaseStart) / 1000;
    phaseStart = Date.now();
    return `${seconds.toFixed(1)} s`;
  };
  const stack = await startScenarioStack(scenario, { dir, build, targets: targetNames });
  log(`  started the demo services and ${targetNames.join(', ')} (${elapsed()})`);
  try {
    const headers: Record<string, string> = scenario.gateway.apiKey ? { 'x-api-key': benchApiKey } : {};
    const expected = await checkAgreement(
      stack.targets.map((t) => ({ name: t.name, url: t.url })),
      users,
      headers,
      gateUsers,
    );
    const compared = Math.min(gateUsers, users.length);
    log(
      `  correctness gate: ${stack.targets.map((t) => t.name).join(', ')} agree for ` +
        `${compared === users.length ? `all ${compared}` : `${compared} of the ${users.length}`} users (${elapsed()})`,
    );

    let rate: ScenarioResult['rate'];
    if (scenario.rateShareOfGS2 !== undefined)
      rate = await arrivalRate(scenario, done, stack, users, expected, headers);

    const measurements: Measurement[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      for (const target of stack.targets) {
        const m = await measure(
          stack,
          target,
          { users, expected, headers },
          {
            connections: settings.connections,
            durationSeconds: settings.durationSeconds,
            warmupSeconds: settings.warmupSeconds,
            ...(rate ? { overallRate: rate.requestsPerSecond } : {}),
          },
          round,
        );
        measurements.push(m);
        log(
          `  round ${round} ${target.name}: ${Math.round(m.load.requestsPerSecond)} req/s, p50 ${m.load.p50Ms.toFixed(1)} ms, ` +
            `p99 ${m.load.p99Ms.toFixed(1)} ms, ${Math.round(m.cpuMicrosPerRequest)} µs CPU/req, ` +
            `${m.upstreamCallsPerQuery.toFixed(2)} upstream calls/query, others used ${m.otherBusyCpus.toFixed(1)} CPUs, ` +
            `${m.load.failures} failures` +
            (m.load.firstFailure ? ` (first: ${m.load.firstFailure})` : ''),
        );
      }
    }
    const targets: ScenarioResult['targets'] = {};
    for (const target of stack.targets) {
      targets[target.name] = summarise(
        target.name,
        measurements.filter((m) => m.target === target.name),
        peakRssKb(target.child.pid),
      );
    }
    const gatewayLogLines = stack.targets.some((t) => t.name === 'G')
      ? countLines(stack.gatewayLog)
      : undefined;
    return {
      id: scenario.id,
      title: scenario.title,
      latencyMs: scenario.latencyMs,
      ...(rate ? { rate } : {}),
      targets,
      ratios: ratios(targets, rate !== undefined),
      ...(gatewayLogLines !== undefined ? { gatewayLogLines } : {}),
      measurements,
    };
  } finally {
    await stack.close();
  }
}

/** S4's rate: half of G's S2 median from this run, else from a short closed-loop run of G here. */
async function arrivalRate(
  scenario: Scenario,
  done: ScenarioResult[],
  stack: Awaited<ReturnType<typeof startScenarioStack>>,
  users: BenchUser[],
  expected: Map<string, string>,
  headers: Record<string, string>,
): Promise<NonNullable<ScenarioResult['rate']>> {
  const share = scenario.rateShareOfGS2!;
  const s2 = done.find((s) => s.id === 'S2')?.targets.G;
  if (s2) {
    return {
      requestsPerSecond: Math.round(s2.requestsPerSecond * share),
      basis: `${share} × G's S2 median of this run`,
    };
  }
  const gateway = stack.targets.find((t) => t.name === 'G');
  if (!gateway) throw new Error('S4 needs G (or S2 in the same run) to set its arrival rate');
  const calibration = await runLoad(
    { url: gateway.url, users, expected, headers },
    { connections: settings.connections, durationSeconds: Math.max(3, settings.durationSeconds / 2) },
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
