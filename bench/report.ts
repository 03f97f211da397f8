// Medians over rounds, the ratios, the table, bench/results/latest.json and bench/RESULTS.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Measurement } from './measure.js';
import type { ScenarioId } from './scenarios.js';
import type { TargetName } from './stack.js';

export interface TargetSummary {
  target: TargetName;
  rounds: number;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  demoCpuMicrosPerRequest: number;
  loadgenCpuMicrosPerRequest: number;
  upstreamCallsPerQuery: number;
  callsPerQueryByService: Measurement['callsPerQueryByService'];
  /** CPUs other processes (not this bench) kept busy during the measured runs: the noise. */
  otherBusyCpus: number;
  /** VmHWM at the end of the scenario: the peak over warm-ups and every round. */
  peakRssMb: number;
  /** Sums over rounds (measured runs; warm-ups separately). */
  failures: number;
  warmupFailures: number;
  failureKinds: Record<string, number>;
  firstFailure?: string;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  latencyMs: number;
  /** S4 only: the arrival rate asked for, and where it came from. */
  rate?: { requestsPerSecond: number; basis: string };
  targets: Partial<Record<TargetName, TargetSummary>>;
  ratios: {
    throughputGR?: number;
    throughputGN?: number;
    cpuGR?: number;
    p99GMinusRMs?: number;
  };
  /** Lines G wrote to its log during the scenario (shows whether logging was on the path). */
  gatewayLogLines?: number;
  measurements: Measurement[];
}

export interface RunReport {
  date: string;
  command: string;
  machine: { nproc: number; cpuModel: string; node: string; loadAverage1m: number; memoryGb: number };
  settings: {
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    rounds: number;
    users: number;
    /** Users all servers were compared on before load (R alone answered the others). */
    gateUsers: number;
  };
  scenarios: ScenarioResult[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Medians of one target's rounds. */
export function summarise(target: TargetName, rounds: Measurement[], peakRssKb: number): TargetSummary {
  const m = (pick: (r: Measurement) => number) => median(rounds.map(pick));
  const failureKinds: Record<string, number> = {};
  for (const round of rounds) {
    for (const [kind, count] of Object.entries(round.load.failureKinds)) {
      failureKinds[kind] = (failureKinds[kind] ?? 0) + count;
    }
  }
  const firstFailure = rounds.find((r) => r.load.firstFailure)?.load.firstFailure;
  return {
    target,
    rounds: rounds.length,
    requestsPerSecond: m((r) => r.load.requestsPerSecond),
    p50Ms: m((r) => r.load.p50Ms),
    p99Ms: m((r) => r.load.p99Ms),
    cpuMicrosPerRequest: m((r) => r.cpuMicrosPerRequest),
    demoCpuMicrosPerRequest: m((r) => r.demoCpuMicrosPerRequest),
    loadgenCpuMicrosPerRequest: m((r) => r.loadgenCpuMicrosPerRequest),
    upstreamCallsPerQuery: m((r) => r.upstreamCallsPerQuery),
    otherBusyCpus: m((r) => r.otherBusyCpus),
    callsPerQueryByService: {
      users: m((r) => r.callsPerQueryByService.users),
      orders: m((r) => r.callsPerQueryByService.orders),
      notifications: m((r) => r.callsPerQueryByService.notifications),
      products: m((r) => r.callsPerQueryByService.products),
    },
    peakRssMb: peakRssKb / 1024,
    failures: rounds.reduce((sum, r) => sum + r.load.failures, 0),
    warmupFailures: rounds.reduce((sum, r) => sum + r.warmupFailures, 0),
    failureKinds,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** G against R and N; at a fixed arrival rate throughput ratios say nothing and are left out. */
export function ratios(targets: ScenarioResult['targets'], fixedRate: boolean): ScenarioResult['ratios'] {
  const { R, N, G } = targets;
  if (!G) return {};
  return {
    ...(R
      ? {
          ...(fixedRate ? {} : { throughputGR: G.requestsPerSecond / R.requestsPerSecond }),
          cpuGR: G.cpuMicrosPerRequest / R.cpuMicrosPerRequest,
          p99GMinusRMs: G.p99Ms - R.p99Ms,
        }
      : {}),
    ...(N && !fixedRate ? { throughputGN: G.requestsPerSecond / N.requestsPerSecond } : {}),
  };
}

const f0 = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US');
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2));

/** The results as Markdown tables (printed to stdout and written to RESULTS.md). */
export function tables(report: RunReport): string {
  const lines = [
    "| scenario | server | req/s | p50 ms | p99 ms | CPU µs/req | peak RSS MB | upstream calls/query | demo CPU µs/req | others' CPUs | failures |",
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const scenario of report.scenarios) {
    for (const name of ['R', 'N', 'G'] as const) {
      const t = scenario.targets[name];
      if (!t) continue;
      const failures =
        t.warmupFailures > 0 ? `${t.failures} (+${t.warmupFailures} in warm-up)` : String(t.failures);
      lines.push(
        `| ${scenario.id} | ${name} | ${f0(t.requestsPerSecond)} | ${f1(t.p50Ms)} | ${f1(t.p99Ms)} | ${f0(t.cpuMicrosPerRequest)} | ${f0(t.peakRssMb)} | ${f2(t.upstreamCallsPerQuery)} | ${f0(t.demoCpuMicrosPerRequest)} | ${f1(t.otherBusyCpus)} | ${failures} |`,
      );
    }
  }
  lines.push(
    '',
    '| scenario | G/R req/s | G/N req/s | G/R CPU per request | G p99 − R p99 (ms) | arrival rate asked (S4) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const scenario of report.scenarios) {
    const r = scenario.ratios;
    const rate = scenario.rate
      ? `${f0(scenario.rate.requestsPerSecond)}/s (${scenario.rate.basis}); achieved: ${(
          ['R', 'N', 'G'] as const
        )
          .filter((n) => scenario.targets[n])
          .map((n) => `${n} ${f0(scenario.targets[n]!.requestsPerSecond)}`)
          .join(', ')}`
      : '';
    lines.push(
      `| ${scenario.id} | ${f2(r.throughputGR)} | ${f2(r.throughputGN)} | ${f2(r.cpuGR)} | ${f1(r.p99GMinusRMs)} | ${rate} |`,
    );
  }
  return lines.join('\n');
}

/** nproc, CPU model, Node version and the load on the machine when the run started. */
export function machine(): RunReport['machine'] {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux: keep os.cpus()'s name
  }
  return {
    nproc: cpus().length,
    cpuModel,
    node: process.version,
    loadAverage1m: loadavg()[0]!,
    memoryGb: Math.round(totalmem() / 2 ** 30),
  };
}

const begin = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const end = '<!-- bench:end -->';

/** Writes latest.json and the generated part of RESULTS.md (text outside the markers is kept). */
export function writeResults(report: RunReport, benchDir: string): void {
  mkdirSync(`${benchDir}/results`, { recursive: true });
  writeFileSync(`${benchDir}/results/latest.json`, `${JSON.stringify(report, null, 2)}\n`);

  const s = report.settings;
  const m = report.machine;
  const generated = [
    begin,
    `Run of ${report.date} — \`${report.command}\``,
    '',
    `Machine: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}; 1-minute load average ` +
      `${m.loadAverage1m.toFixed(2)} at the start. The machine is shared with other engineers' test runs: ` +
      'figures are noisy, compare ratios measured side by side rather than absolute numbers across runs.',
    '',
    `Settings: ${s.connections} connections, ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s measured, ` +
      `${s.rounds} round(s) of R, N, G interleaved (medians), every request for another of ${s.users} users. ` +
      `Before load all servers gave identical answers for ${s.gateUsers === s.users ? 'all' : s.gateUsers} of them` +
      `${s.gateUsers === s.users ? '' : ' (R alone for the rest)'}; under load every answer was compared with that user's.`,
    '',
    ...report.scenarios.map((scenario) => `- ${scenario.id}: ${scenario.title}`),
    '',
    tables(report),
    '',
    '"others\' CPUs": how many of the machine\'s CPUs processes outside this bench kept busy during the ' +
      "measured runs (median), from /proc/stat minus the bench's own processes. Anything above 0 means the " +
      "servers were competing for CPU with someone else's work.",
    end,
  ].join('\n');

  const file = `${benchDir}/RESULTS.md`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const from = current.indexOf(begin);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${current.slice(0, from)}${generated}${current.slice(to + end.length)}`
      : `# Benchmark results\n\n${generated}\n${current ? `\n${current}` : ''}`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
