// What a run produces: medians over rounds per target, the ratios, the heap check and the machine.
// Turned into tables by results-markdown.ts and judged against the targets by goals.ts.

import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { HeapCheck } from './heap-check.js';
import type { Measurement } from './measure.js';
import type { ScenarioId } from './scenarios.js';
import type { UpstreamKind } from './stack.js';
import type { SubscriptionsResult } from './subscriptions-run.js';
import type { TargetName } from './targets.js';
import type { UserModeId } from './user-modes.js';

export interface TargetSummary {
  target: TargetName;
  rounds: number;
  /** Medians over rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMicrosPerRequest: number;
  /** CPUs the target kept busy during the measured runs (1.0 = one core all the time). */
  targetBusyCpus: number;
  upstreamCpuMicrosPerRequest: number;
  loadgenCpuMicrosPerRequest: number;
  upstreamCallsPerQuery: number;
  callsPerQueryByService: Measurement['callsPerQueryByService'];
  /** CPUs other processes (not this bench) kept busy during the measured runs: the noise. */
  otherBusyCpus: number;
  /** VmHWM at the end of the scenario: the peak over warm-ups, every round and the heap check. */
  peakRssMb: number;
  /** Sums over rounds (measured runs; warm-ups separately). */
  failures: number;
  warmupFailures: number;
  failureKinds: Record<string, number>;
  firstFailure?: string;
}

/** One scenario in one user mode. */
export interface ScenarioResult {
  id: ScenarioId;
  mode: UserModeId;
  /** How the row is named: `S1 fresh`, `S1 session`. */
  key: string;
  title: string;
  latencyMs: number;
  /** Requests in a row per user (1 in fresh mode). */
  reuse: number;
  /** S4 only: the arrival rate asked for, and where it came from. */
  rate?: { requestsPerSecond: number; basis: string };
  targets: Partial<Record<TargetName, TargetSummary>>;
  ratios: {
    throughputGR?: number;
    /** G with 2 workers against R (S1 only, by default). */
    throughputG2R?: number;
    throughputGN?: number;
    cpuGR?: number;
    p99GMinusRMs?: number;
  };
  heapCheck?: HeapCheck;
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
    sessionReuse: number;
    /** Users every server was asked about before load, beside one per demo user for R. */
    gateUsers: number;
    upstreams: UpstreamKind;
    heapSeconds: number;
  };
  scenarios: ScenarioResult[];
  /** The subscriptions scenario (subscriptions-run.ts), when it ran. */
  subscriptions?: SubscriptionsResult;
}

export const median = (values: number[]) => {
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
    targetBusyCpus: m((r) => r.targetBusyCpus),
    upstreamCpuMicrosPerRequest: m((r) => r.upstreamCpuMicrosPerRequest),
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
  const { R, N, G, G2 } = targets;
  if (!G) return {};
  return {
    ...(G2 && R && !fixedRate ? { throughputG2R: G2.requestsPerSecond / R.requestsPerSecond } : {}),
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
