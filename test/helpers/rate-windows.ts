// Tier quotas count in fixed windows aligned on the epoch (Redis's clock is this machine's clock
// here). A burst that straddles a window's end would see its counter reset half-way: tests that
// count exactly start far enough from that edge.
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves once at least `marginMs` remain before the current `windowMs` window ends. */
export async function awayFromWindowEdge(windowMs: number, marginMs = 3_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await sleep(left + 50);
}

/** Seconds until the current `windowMs` window ends, rounded up as the RateLimit headers round. */
export function secondsLeftInWindow(windowMs: number): number {
  return Math.ceil((windowMs - (Date.now() % windowMs)) / 1000);
}

export const dayMs = 86_400_000;
