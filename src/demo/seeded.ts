// The seed machinery every demo data set is built from: a deterministic random stream and a
// fixed clock, so the same seed gives the same data on every machine, today or next year.

// Timestamps count back from a fixed instant, never from the clock, so every machine builds the
// same data.
export const EPOCH_SECONDS = Date.UTC(2026, 10, 1) / 1000;
export const DAY = 86_400;

export type Random = () => number;

/** mulberry32: tiny, fast, and integer-only, so it yields the same sequence on every platform. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Like int, but small values are likelier: most shoppers have a short history. */
export function skewed(random: Random, min: number, max: number): number {
  const r = random();
  return min + Math.floor(r * r * (max - min + 1));
}

export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

const ZERO = 48;
const COLON = 58;
const Z = 90;
// Days repeat a lot (a build touches a few thousand), and every string saved is less GC work.
const datePrefixes = new Map<number, string>();

/** RFC 3339 UTC without milliseconds, e.g. 2026-10-31T23:59:59Z. */
export function formatTimestamp(seconds: number): string {
  const days = Math.floor(seconds / DAY);
  const secondOfDay = seconds - days * DAY;
  let prefix = datePrefixes.get(days);
  if (prefix === undefined) {
    prefix = new Date(days * DAY * 1000).toISOString().slice(0, 11);
    datePrefixes.set(days, prefix);
  }
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor(secondOfDay / 60) % 60;
  const second = secondOfDay % 60;
  // One flat string instead of the chain of intermediate strings a template literal builds.
  // biome-ignore format: grouped as hh:mm:ssZ
  const time = String.fromCharCode(
    ZERO + Math.floor(hour / 10), ZERO + (hour % 10), COLON,
    ZERO + Math.floor(minute / 10), ZERO + (minute % 10), COLON,
    ZERO + Math.floor(second / 10), ZERO + (second % 10), Z,
  );
  return prefix + time;
}
