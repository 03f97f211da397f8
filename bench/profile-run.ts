// `npm run bench -- --profile`: the chosen servers under `node --cpu-prof`, measured one after
// the other; the top self-time frames and packages of each one's measured run.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Build } from './build.js';
import type { BenchOptions } from './cli-options.js';
import { checkAgreement } from './correctness.js';
import { benchApiKey } from './dashboard.js';
import { type Measurement, measure } from './measure.js';
import { stop } from './processes.js';
import { profileTable, summariseProfile } from './profile.js';
import type { Scenario } from './scenarios.js';
import { startScenarioStack, type TargetName } from './stack.js';
import { type BenchUser, createRotation } from './user-modes.js';

export interface ProfileRunOptions {
  build: Build;
  scenario: Scenario;
  targets: TargetName[];
  users: BenchUser[];
  /** Connections, durations, user mode (the first of --modes, else fresh), upstreams. */
  options: BenchOptions;
  /** The run's temp dir. */
  dir: string;
  /** Where profile-<scenario>.md goes; nothing is written without it. */
  resultsDir?: string;
  command: string;
  log(line: string): void;
}

/** Profiles each target under the scenario and prints (and saves) the summaries. */
export async function profileTargets(options: ProfileRunOptions): Promise<void> {
  const { scenario, targets, users, log } = options;
  const settings = options.options;
  const mode = settings.modes?.[0] ?? 'fresh';
  const reuse = mode === 'session' ? settings.sessionReuse : 1;
  const profileDir = (name: TargetName) => join(options.dir, `profile-${name}`);
  // 250 µs rather than 1 ms: four times the samples over a 10 s run.
  const cpuProf = (name: TargetName) => [
    '--cpu-prof',
    '--cpu-prof-dir',
    profileDir(name),
    '--cpu-prof-interval',
    '250',
  ];
  log(
    `profile: ${targets.join(', ')} under ${scenario.id} ${mode}, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s`,
  );
  const windows = new Map<TargetName, Measurement['window']>();
  const exits = new Map<TargetName, number>();
  const stack = await startScenarioStack(scenario, {
    dir: options.dir,
    build: options.build,
    targets,
    upstreams: settings.upstreams,
    userCount: users.length + 1,
    nodeFlags: Object.fromEntries(targets.map((name) => [name, cpuProf(name)])),
  });
  try {
    const headers: Record<string, string> = scenario.gateway.apiKey ? { 'x-api-key': benchApiKey } : {};
    const expected = await checkAgreement(
      stack.targets.map((t) => ({ name: t.name, url: t.url })),
      users,
      headers,
      settings.gateUsers,
    );
    for (const target of stack.targets) {
      const rotation = createRotation(users, { id: mode, reuse }, settings.connections);
      const m = await measure(stack, target, { rotation, expected, headers }, settings, 1);
      windows.set(target.name, m.window);
      log(
        `  ${target.name}: ${Math.round(m.load.requestsPerSecond)} req/s (under the profiler), ` +
          `${Math.round(m.cpuMicrosPerRequest)} µs CPU/req, ${m.load.failures} failures`,
      );
    }
    // A profile is written when its process exits normally (every server exits 0 on SIGTERM).
    await Promise.all(
      stack.targets.map(async (target) => {
        await stop(target.child, 15_000);
        exits.set(target.name, Date.now());
      }),
    );
  } finally {
    await stack.close();
  }

  const keptProfiles = join(tmpdir(), 'switchboard-bench-profiles');
  mkdirSync(keptProfiles, { recursive: true });
  let markdown =
    `# CPU profiles under ${scenario.id}\n\n${new Date().toISOString()}, \`${options.command}\`, ` +
    `load average ${loadavg()[0]!.toFixed(2)} at the end. Self time over the measured run only ` +
    '(start-up, gate and warm-up left out).\n';
  for (const name of targets) {
    const file = readdirSync(profileDir(name)).find((entry) => entry.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${name} wrote no CPU profile`);
    // Kept outside the run's temp dir, for Chrome DevTools or speedscope.
    const kept = join(keptProfiles, `${scenario.id}-${name}-${Date.now()}.cpuprofile`);
    copyFileSync(join(profileDir(name), file), kept);
    const window = windows.get(name);
    const exit = exits.get(name);
    const table = profileTable(
      summariseProfile(
        kept,
        window && exit
          ? { fromMsBeforeEnd: exit - window.startMs, toMsBeforeEnd: exit - window.endMs }
          : undefined,
      ),
    );
    process.stdout.write(`\n${name} under ${scenario.id} (raw profile: ${kept}):\n\n${table}\n`);
    markdown += `\n## ${name}\n\n${table}\n`;
  }
  if (options.resultsDir) {
    mkdirSync(options.resultsDir, { recursive: true });
    writeFileSync(join(options.resultsDir, `profile-${scenario.id}.md`), markdown);
    log(`\nprofile: wrote bench/results/profile-${scenario.id}.md`);
  }
}
