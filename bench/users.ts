// Who the bench asks for. Users u2…u<N+1> (u1 is the demo's ADMIN); the demo seeds 1,000 users,
// and a user beyond them is a copy of one of those, its *template*: the same name, orders and
// notifications under its own user id. Every copy of a template has the same dashboard, so one
// agreed answer per template checks every answer under load, while the servers still see a new
// user id (and a new JWT) on nearly every request. Shared by the orchestrator and the stubs.

/** How many users the demo seeds (src/demo/data.ts, DEMO_USER_COUNT); the templates. */
export const templateCount = 1000;

/** The id of the bench's i-th user (0-based): u2, u3, … */
export function benchUserId(index: number): string {
  return `u${index + 2}`;
}

/** The user number of `u<n>`, or undefined for anything else. */
export function userNumber(userId: string): number | undefined {
  if (userId.length < 2 || userId.charCodeAt(0) !== 117 /* u */) return undefined;
  const n = Number(userId.slice(1));
  // `u01` or `u1e3` would map onto u1 or u1000: only the canonical spelling is a user.
  return Number.isInteger(n) && n >= 1 && `u${n}` === userId ? n : undefined;
}

/**
 * The demo user whose data user number `n` copies (1…1000); a demo user is its own template.
 * Copies are spread by a multiplicative (Fibonacci) hash rather than `n mod 1000`: the load's 50
 * connections start 2,000 users apart, and with `mod` they would all walk the same demo users in
 * step, asking for the same products at the same moment.
 */
export function templateOf(n: number): number {
  if (n <= templateCount) return n;
  return Math.floor(((Math.imul(n, 0x9e3779b1) >>> 0) / 2 ** 32) * templateCount) + 1;
}
