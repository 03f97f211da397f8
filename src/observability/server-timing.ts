import type { RequestStats } from './request-stats.js';

/** `Server-Timing`: the gateway's own time and the upstream wall time (overlapping calls once). */
export function serverTiming(stats: RequestStats): string {
  const totalMs = performance.now() - stats.startedAt;
  const upstreamMs = Math.min(stats.upstreamMs, totalMs);
  return `gateway;dur=${(totalMs - upstreamMs).toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)};desc="${stats.upstreamCalls} calls"`;
}
