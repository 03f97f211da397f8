// `npm run bench`: Switchboard (G) against a raw node:http + undici server (R) and a naive Apollo
// BFF (N), all serving the README's dashboard query over the bench's upstream stubs, which answer
// from data prepared before load. See bench/README.md.
//
//   npm run bench                      S1 (fresh and session users) and S2–S5 (fresh), 3 rounds of
//                                      R, N, G interleaved, 3 s warm-up + 10 s each, G's 60 s heap
//                                      check after S1 fresh (~16 min)
//   npm run bench -- --scenarios SUB  the subscriptions scenario alone (5,000 subscriptions over
//                                      1,000 users, 1,000 events/s; part of a full run)
//   npm run bench -- --quick           S1 fresh and session, 1 round, 2 s + 5 s, a 10 s heap check
//                                      (a smoke test, about 1.5 min)
//   npm run bench -- --profile         CPU profile of G under S1 (node --cpu-prof): top frames;
//                                      add --targets R,G to profile R too (one after the other)
//
// Flags (after `--`): --scenarios S1,S3  --modes fresh,session (instead of each scenario's own)
//   --users N (100000: u2…u<N+1>, JWTs signed before load)  --session-reuse N (20: requests per
//   token in session mode)  --rounds N  --warmup SECONDS  --duration SECONDS  --connections N (50)
//   --gate-users N (users every server is compared on before load; 1000, 100 with --quick)
//   --heap-seconds N (60, 10 with --quick; 0 skips the heap check)  --targets R,N,G,G2 (default
//   R,N,G, and G2 too in S1)
//   --upstreams stubs|demo (demo: the demo services instead of the stubs, at most 999 users)
//   --no-write (leave results/ and RESULTS.md alone)
//
// src/ and bench/ are compiled to JavaScript first (build.ts), so every server runs as deployed.
// Every run then checks that R, N and G answer identically (abort on any difference), and checks
// every answer under load. Each scenario starts fresh processes; all are killed at the end, on
// error and on Ctrl+C. Results: stdout, bench/results/latest.json, bench/RESULTS.md.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Build, buildForBench } from './build.js';
import { type BenchOptions, parseOptions, UsageError } from './cli-options.js';
import { GateError } from './correctness.js';
import { type Child, killAllNow, stop, stopAll } from './processes.js';
import { profileTargets } from './profile-run.js';
import { machine, type RunReport } from './report.js';
import { tables, writeResults } from './results-markdown.js';
import { runScenario } from './scenario-run.js';
import { scenarios } from './scenarios.js';
import { runSubscriptions } from './subscriptions-run.js';
import { type BenchUser, signTokens } from './user-modes.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')))
    throw error;
  log(`bench: ${(error as Error).message}`);
  process.exit(2);
}
if (options.help) {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(`${/^(\/\/.*\n)+/.exec(source)?.[0].replace(/^\/\/ ?/gm, '') ?? ''}`);
  process.exit(0);
}

const runs = options.scenarioIds.flatMap((id) =>
  (options.modes ?? scenarios[id].modes).map((mode) => ({ scenario: scenarios[id], mode })),
);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

// Bounded in time: twice the planned load time plus start-up slack, then everything is killed.
const perRun =
  options.rounds * options.targets.length * (options.warmupSeconds + options.durationSeconds + 1);
const budgetMs =
  ((options.profile ? 1 : runs.length) * (2 * perRun + 90) + 2 * options.heapSeconds + 60) * 1000;
// The gateway's config files and logs, removed at the end whatever happens.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const removeDir = () => rmSync(dir, { recursive: true, force: true });

const watchdog = setTimeout(() => {
  log(`bench: gave up after ${Math.round(budgetMs / 1000)} s; stopping everything`);
  void stopAll().finally(() => {
    removeDir();
    process.exit(2);
  });
}, budgetMs);

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`\nbench: ${signal}, stopping every process`);
    void stopAll().finally(() => {
      removeDir();
      process.exit(130);
    });
  });
}

try {
  let started = Date.now();
  const users = signTokens(options.users);
  log(`bench: signed ${users.length.toLocaleString('en-US')} JWTs (${Date.now() - started} ms)`);
  started = Date.now();
  const build = buildForBench(dirname(benchDir), dir, log);
  log(`bench: compiled src/ and bench/ (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (options.profile) {
    await profileTargets({
      build,
      scenario: scenarios[options.scenarioIds[0]!],
      targets: options.targets,
      users,
      options,
      dir,
      resultsDir: options.write ? join(benchDir, 'results') : undefined,
      command,
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
    command,
    machine: machine(),
    settings: {
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      rounds: options.rounds,
      users: options.users,
      sessionReuse: options.sessionReuse,
      gateUsers: options.gateUsers,
      upstreams: options.upstreams,
      heapSeconds: options.heapSeconds,
    },
    scenarios: [],
  };
  log(
    `bench: ${runs.map((r) => `${r.scenario.id} ${r.mode}`).join(', ')}; ${options.rounds} round(s) of ` +
      `${options.targets.join(', ')}; ${options.warmupSeconds} s + ${options.durationSeconds} s each; ` +
      `${options.connections} connections; load average ${report.machine.loadAverage1m.toFixed(2)} on ${report.machine.nproc} CPUs`,
  );
  let heapChecked = options.heapSeconds === 0;
  for (const { scenario, mode } of runs) {
    const heapCheck = !heapChecked && scenario.heapCheck === true;
    heapChecked ||= heapCheck;
    report.scenarios.push(
      await runScenario(scenario, mode, {
        options,
        build,
        dir,
        users,
        done: report.scenarios,
        heapCheck,
        checkStubs: report.scenarios.length === 0,
        log,
      }),
    );
  }
  if (options.subscriptions) {
    log('\nSUB: 5,000 subscriptions over 1,000 users, 1,000 events/s');
    const started: Child[] = [];
    try {
      report.subscriptions = await runSubscriptions({
        build,
        dir,
        users: 1_000,
        perUser: 5,
        eventsPerSecond: 1_000,
        seconds: options.quick ? 5 : options.durationSeconds,
        started,
        log,
      });
    } finally {
      await Promise.all(started.map((child) => stop(child)));
    }
  }
  const failed = report.scenarios.some(
    (s) =>
      Object.values(s.targets).some((t) => t.failures > 0 || t.warmupFailures > 0) ||
      (s.heapCheck?.failures ?? 0) > 0,
  );
  process.stdout.write(`\n${tables(report)}\n`);
  if (options.write) {
    writeResults(report, benchDir);
    log('\nbench: wrote bench/results/latest.json and bench/RESULTS.md');
  }
  if (failed) {
    log('bench: some answers under load were wrong or missing (see "failures"; details in latest.json)');
    process.exitCode = 1;
  }
}
