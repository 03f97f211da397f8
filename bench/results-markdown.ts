// The report as Markdown (stdout and bench/RESULTS.md) and bench/results/latest.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { judgeGoals } from './goals.js';
import type { RunReport } from './report.js';
import { targetSpecs } from './targets.js';

const f0 = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US');
const f1 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
const f2 = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(2));
const percent = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '–' : `${Math.round(n * 100)}%`;

const names = Object.keys(targetSpecs) as (keyof typeof targetSpecs)[];

/** Per run and server: throughput, latency, CPU (its own and the upstreams'), memory, calls. */
function measurementsTable(report: RunReport): string[] {
  const lines = [
    '| run | server | req/s | p50 ms | p99 ms | CPU µs/req | busy CPUs | upstream CPU µs/req | upstream ÷ R’s CPU/req | peak RSS MB | upstream calls/dashboard | others’ CPUs | failures |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of report.scenarios) {
    const r = s.targets.R;
    for (const name of names) {
      const t = s.targets[name];
      if (!t) continue;
      const failures =
        t.warmupFailures > 0 ? `${t.failures} (+${t.warmupFailures} in warm-up)` : String(t.failures);
      lines.push(
        `| ${s.key} | ${name} | ${f0(t.requestsPerSecond)} | ${f1(t.p50Ms)} | ${f1(t.p99Ms)} | ` +
          `${f0(t.cpuMicrosPerRequest)} | ${f2(t.targetBusyCpus)} | ${f0(t.upstreamCpuMicrosPerRequest)} | ` +
          `${percent(r ? t.upstreamCpuMicrosPerRequest / r.cpuMicrosPerRequest : undefined)} | ${f0(t.peakRssMb)} | ` +
          `${f2(t.upstreamCallsPerQuery)} | ${f1(t.otherBusyCpus)} | ${failures} |`,
      );
    }
  }
  return lines;
}

function ratiosTable(report: RunReport): string[] {
  const lines = [
    '| run | G/R req/s | G2/R req/s | G/N req/s | G/R CPU per request | G p99 − R p99 (ms) | arrival rate asked (S4) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of report.scenarios) {
    const r = s.ratios;
    const rate = s.rate
      ? `${f0(s.rate.requestsPerSecond)}/s (${s.rate.basis}); achieved: ${names
          .filter((n) => s.targets[n])
          .map((n) => `${n} ${f0(s.targets[n]!.requestsPerSecond)}`)
          .join(', ')}`
      : '';
    lines.push(
      `| ${s.key} | ${f2(r.throughputGR)} | ${f2(r.throughputG2R)} | ${f2(r.throughputGN)} | ${f2(r.cpuGR)} | ${f1(r.p99GMinusRMs)} | ${rate} |`,
    );
  }
  return lines;
}

function goalsTable(report: RunReport): string[] {
  const mark = { hit: 'hit', missed: '**missed**', 'not measured': 'not measured' } as const;
  return [
    '| target | measured | |',
    '| --- | --- | --- |',
    ...judgeGoals(report).map((g) => `| ${g.goal} | ${g.measured} | ${mark[g.status]} |`),
  ];
}

function heapLines(report: RunReport): string[] {
  return report.scenarios.flatMap((s) => {
    const h = s.heapCheck;
    if (!h) return [];
    return [
      `Heap check (${h.target}, ${s.key}): after a warm-up and a forced GC its live heap was ` +
        `${f1(h.baseline.heapUsedMb)} MB (RSS ${f0(h.baseline.rssMb)} MB); after ${h.seconds} s more of ` +
        `${s.id} (${f0(h.requests)} requests, ${f0(h.requestsPerSecond)} req/s, ${h.failures} failures) and a forced GC, ` +
        `${f1(h.after.heapUsedMb)} MB (RSS ${f0(h.after.rssMb)} MB): ${h.growth >= 0 ? '+' : ''}${f1(h.growth * 100)}%, ` +
        `${h.passed ? 'within' : 'beyond'} the 10% allowed.`,
    ];
  });
}

/** The results as Markdown: measurements, ratios, heap check, targets. */
function subscriptionsTable(report: RunReport): string[] {
  const s = report.subscriptions;
  if (!s) return [];
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  return [
    `Subscriptions: ${s.subscriptions.toLocaleString('en-US')} over ${s.users.toLocaleString('en-US')} users (${s.subscriptionsPerUser} per graphql-ws connection, ${s.upstreamStreams.toLocaleString('en-US')} upstream streams), opened in ${f1(s.openSeconds)} s; then ${s.load.eventsPerSecond.toLocaleString('en-US')} events/s for ${s.load.seconds} s.`,
    '',
    '| G heap before → idle, MB | G RSS before → idle, MB | heap KB/subscription | RSS KB/subscription | events | deliveries | p50 ms | p99 ms | max ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${mb(s.idle.heapBefore)} → ${mb(s.idle.heapAfter)} | ${mb(s.idle.rssBefore)} → ${mb(s.idle.rssAfter)} | ${kb(s.heapBytesPerSubscription)} | ${kb(s.rssBytesPerSubscription)} | ${s.load.emitted.toLocaleString('en-US')} | ${s.load.delivered.toLocaleString('en-US')} of ${s.load.expectedDeliveries.toLocaleString('en-US')} | ${f1(s.load.p50Ms)} | ${f1(s.load.p99Ms)} | ${f1(s.load.maxMs)} |`,
  ];
}

export function tables(report: RunReport): string {
  return [
    ...measurementsTable(report),
    '',
    ...ratiosTable(report),
    '',
    ...heapLines(report),
    '',
    ...subscriptionsTable(report),
    '',
    ...goalsTable(report),
  ].join('\n');
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
      `${m.loadAverage1m.toFixed(2)} at the start. Compare ratios measured side by side, not absolute ` +
      'numbers across runs.',
    '',
    `Settings: ${s.connections} connections, ${s.warmupSeconds} s warm-up + ${s.durationSeconds} s measured, ` +
      `${s.rounds} round(s) of ${names.join(', ')} interleaved (medians). Upstreams: ${s.upstreams === 'stubs' ? 'the bench’s stubs (answers prepared before load)' : 'the demo services'}. ` +
      `${s.users.toLocaleString('en-US')} users with pre-signed JWTs; "fresh" runs ask for a new user on every request, ` +
      `"session" runs reuse each user's token ${s.sessionReuse} times in a row. Before load R answered one user ` +
      `per demo user and all servers agreed on ${s.gateUsers.toLocaleString('en-US')} users spread over the list; ` +
      'under load every answer was compared with that user’s.',
    '',
    ...report.scenarios.map((scenario) => `- ${scenario.key}: ${scenario.title}`),
    '',
    tables(report),
    '',
    '"busy CPUs": how many cores the server kept busy during the measured run (near 1.00: bound by its ' +
      'own CPU). "upstream CPU": what the upstream services spent per request of that server. "others’ ' +
      'CPUs": how many CPUs processes outside this bench kept busy (median): above 0, someone else\'s work ' +
      'competed for the machine.',
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
