// The heap check: does G's live heap stay flat under load? After the scenario's rounds, G is
// warmed up once more, garbage-collected and its heap read (the baseline); then it serves S1 for
// `seconds` (60 in the full run), is collected again and read again. A live heap that grew by
// more than `maxGrowth` over the baseline is retained per-request state: a leak, or a cache
// without a bound that fits. Both readings come from gateway-preload.ts (SIGUSR2 → two forced
// major GCs → a `HEAP {…}` line on stderr), so no endpoint is added to the gateway.
import { type LoadTarget, runLoad } from './load.js';
import { quiesce } from './measure.js';
import { nextStderrJson } from './processes.js';
import type { ScenarioStack, Target } from './stack.js';

/** The most the live heap may grow over the run: 10% (issue 13). */
export const maxHeapGrowth = 0.1;

export interface HeapReading {
  heapUsedMb: number;
  heapTotalMb: number;
  rssMb: number;
  externalMb: number;
}

export interface HeapCheck {
  target: Target['name'];
  seconds: number;
  baseline: HeapReading;
  after: HeapReading;
  /** (after − baseline) / baseline of heapUsed. */
  growth: number;
  passed: boolean;
  requests: number;
  requestsPerSecond: number;
  failures: number;
}

const mb = (bytes: unknown) => Number(bytes) / 2 ** 20;

/** Forces a GC in the target and reads its memory (the target must run gateway-preload.ts). */
export async function readHeap(target: Target): Promise<HeapReading> {
  const reading = nextStderrJson(target.child, 'HEAP');
  target.child.process.kill('SIGUSR2');
  const usage = await reading;
  if (typeof usage.heapUsed !== 'number')
    throw new Error(`${target.name}: no heap reading (${JSON.stringify(usage)})`);
  return {
    heapUsedMb: mb(usage.heapUsed),
    heapTotalMb: mb(usage.heapTotal),
    rssMb: mb(usage.rss),
    externalMb: mb(usage.external),
  };
}

/** Warm-up, GC, reading; `seconds` of load; GC, reading. */
export async function checkHeap(
  stack: ScenarioStack,
  target: Target,
  load: Omit<LoadTarget, 'url'>,
  options: { connections: number; warmupSeconds: number; seconds: number },
): Promise<HeapCheck> {
  const loadTarget = { ...load, url: target.url };
  if (options.warmupSeconds > 0) {
    await runLoad(loadTarget, { connections: options.connections, durationSeconds: options.warmupSeconds });
  }
  await quiesce(stack);
  const baseline = await readHeap(target);
  const result = await runLoad(loadTarget, {
    connections: options.connections,
    durationSeconds: options.seconds,
  });
  await quiesce(stack);
  const after = await readHeap(target);
  const growth = (after.heapUsedMb - baseline.heapUsedMb) / baseline.heapUsedMb;
  return {
    target: target.name,
    seconds: options.seconds,
    baseline,
    after,
    growth,
    passed: growth <= maxHeapGrowth,
    requests: result.requests,
    requestsPerSecond: result.requestsPerSecond,
    failures: result.failures,
  };
}
