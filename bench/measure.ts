// One measurement: a warm-up run (discarded), then a measured run bracketed by samples of the
// target's CPU time (/proc/<pid>/stat), the upstream process's CPU time and its call counters.
import { setTimeout as sleep } from 'node:timers/promises';
import { type LoadOptions, type LoadResult, type LoadTarget, runLoad } from './load.js';
import { cpuTicks, machineBusyTicks, ticksPerSecond } from './processes.js';
import type { ScenarioStack, Target } from './stack.js';

export interface Counters {
  users: number;
  orders: number;
  notifications: number;
  products: number;
  total: number;
}

export interface Measurement {
  target: Target['name'];
  round: number;
  load: LoadResult;
  warmupFailures: number;
  /** Date.now() at the start and end of the measured run. */
  window: { startMs: number; endMs: number };
  /** The target's user + system CPU over the measured window, per completed request. */
  cpuMicrosPerRequest: number;
  /** The upstream services' CPU per request: what serving the target's calls cost them. */
  upstreamCpuMicrosPerRequest: number;
  /** CPUs the target kept busy (1.0 = one core all the time): near 1, it was bound by its own CPU. */
  targetBusyCpus: number;
  /** autocannon's own CPU (this process) per request: the load generator's share of the 2 cores. */
  loadgenCpuMicrosPerRequest: number;
  /**
   * CPUs busy during the measured run: the whole machine, and the part that was not this bench
   * (the server under test, the demo services, the load generator): other engineers' test runs.
   */
  machineBusyCpus: number;
  otherBusyCpus: number;
  /** Requests the upstream services received per request sent, /health excluded. */
  upstreamCallsPerQuery: number;
  callsPerQueryByService: Omit<Counters, 'total'>;
}

export interface MeasureOptions extends LoadOptions {
  warmupSeconds: number;
}

/** Warms `target` up, then measures it; every answer of both runs is checked. */
export async function measure(
  stack: ScenarioStack,
  target: Target,
  load: Omit<LoadTarget, 'url'>,
  options: MeasureOptions,
  round: number,
): Promise<Measurement> {
  const loadTarget = { ...load, url: target.url };
  const warmup =
    options.warmupSeconds > 0
      ? await runLoad(loadTarget, { ...options, durationSeconds: options.warmupSeconds })
      : undefined;

  // The requests autocannon leaves in flight when it stops are still served (upstream calls, CPU):
  // wait until they are done, so none of the warm-up's land in the measured window, and the
  // measured window's are all in it and divided by what was sent, not only by what completed.
  await quiesce(stack);
  const before = await sample(stack, target);
  const startMs = Date.now();
  const result = await runLoad(loadTarget, options);
  const endMs = Date.now();
  await quiesce(stack);
  const after = await sample(stack, target);

  const seconds = (after.at - before.at) / 1000;
  const machineBusyCpus = (after.machineTicks - before.machineTicks) / ticksPerSecond / seconds;
  const benchCpus =
    (after.targetTicks - before.targetTicks + after.upstreamTicks - before.upstreamTicks) /
      ticksPerSecond /
      seconds +
    (after.ownMicros - before.ownMicros) / 1e6 / seconds;
  const perRequest = (ticks: number) => (ticks * 1e6) / ticksPerSecond / Math.max(1, result.sent);
  const calls = (service: keyof Counters) =>
    (after.counters[service] - before.counters[service]) / Math.max(1, result.sent);
  return {
    target: target.name,
    round,
    load: result,
    warmupFailures: warmup?.failures ?? 0,
    window: { startMs, endMs },
    cpuMicrosPerRequest: perRequest(after.targetTicks - before.targetTicks),
    upstreamCpuMicrosPerRequest: perRequest(after.upstreamTicks - before.upstreamTicks),
    targetBusyCpus: (after.targetTicks - before.targetTicks) / ticksPerSecond / result.durationSeconds,
    loadgenCpuMicrosPerRequest: (after.ownMicros - before.ownMicros) / Math.max(1, result.requests),
    machineBusyCpus,
    otherBusyCpus: Math.max(0, machineBusyCpus - benchCpus),
    upstreamCallsPerQuery: calls('total'),
    callsPerQueryByService: {
      users: calls('users'),
      orders: calls('orders'),
      notifications: calls('notifications'),
      products: calls('products'),
    },
  };
}

async function counters(stack: ScenarioStack): Promise<Counters> {
  const response = await fetch(`${stack.control}/counters`);
  return (await response.json()) as Counters;
}

/** Waits until the upstream services saw no request for 150 ms (at most 5 s). */
export async function quiesce(stack: ScenarioStack): Promise<void> {
  const deadline = Date.now() + 5_000;
  let last = (await counters(stack)).total;
  while (Date.now() < deadline) {
    await sleep(150);
    const now = (await counters(stack)).total;
    if (now === last) return;
    last = now;
  }
}

async function sample(stack: ScenarioStack, target: Target) {
  const counts = await counters(stack);
  const own = process.cpuUsage();
  return {
    counters: counts,
    targetTicks: cpuTicks(target.child.pid),
    upstreamTicks: cpuTicks(stack.upstream.pid),
    ownMicros: own.user + own.system,
    machineTicks: machineBusyTicks(),
    at: Date.now(),
  };
}
