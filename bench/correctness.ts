// The correctness gate: before any load, R, N and G must give the same answer to the benchmark
// query for every user the load will rotate through. Bodies are compared after JSON.parse +
// JSON.stringify (key order kept, whitespace dropped). Any HTTP status but 200, any `errors`, any
// difference aborts the run with the user, the servers and the first differing JSON path.
import { dashboardBody } from './dashboard.js';
import type { BenchUser } from './load.js';

export interface GateTarget {
  name: string;
  url: string;
}

export class GateError extends Error {}

/**
 * Asks every target for `compared` users spread over the list (all by default) and the first
 * target (R) alone for the others; returns the normalised answer per user id. Users only R was
 * asked about are still covered: under load every answer must equal R's for that user.
 */
export async function checkAgreement(
  targets: readonly GateTarget[],
  users: readonly BenchUser[],
  headers: Record<string, string> = {},
  compared = users.length,
): Promise<Map<string, string>> {
  // A few requests one at a time first: a server that just started compiles its hot paths on
  // the first requests, and a burst of 32 at once would make the gate a stress test.
  for (const target of targets) {
    for (const user of users.slice(0, 20)) await ask(target, user, headers).catch(() => undefined);
  }
  const expected = new Map<string, string>();
  let withProducts = 0;
  const step = users.length / Math.max(1, Math.min(compared, users.length));
  const everyone = new Set(
    Array.from({ length: Math.min(compared, users.length) }, (_, i) => Math.floor(i * step)),
  );
  await forEachLimited(users, 32, async (user, index) => {
    const asked = everyone.has(index) ? targets : targets.slice(0, 1);
    const answers = await Promise.all(asked.map((target) => ask(target, user, headers)));
    const [first, ...others] = answers;
    for (const [index, other] of others.entries()) {
      if (other.text !== first!.text) {
        const where = firstDifference(first!.value, other.value) ?? '(the whole answer)';
        throw new GateError(
          `${targets[0]!.name} and ${targets[index + 1]!.name} disagree for ${user.userId} at ${where}\n` +
            `  ${targets[0]!.name}: ${first!.text}\n  ${targets[index + 1]!.name}: ${other.text}`,
        );
      }
    }
    if (first!.text.includes('"product":{')) withProducts++;
    expected.set(user.userId, first!.text);
  });
  // Agreement on empty dashboards would prove little: most users must have products to show.
  if (withProducts < users.length / 2) {
    throw new GateError(`only ${withProducts} of ${users.length} dashboards show a product`);
  }
  return expected;
}

async function ask(
  target: GateTarget,
  user: BenchUser,
  headers: Record<string, string>,
): Promise<{ text: string; value: unknown }> {
  let status = 0;
  let body = '';
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers },
      body: dashboardBody,
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    body = await response.text();
  } catch (error) {
    throw new GateError(`${target.name} failed for ${user.userId}: ${(error as Error).message}`);
  }
  let value: { errors?: unknown; data?: unknown };
  try {
    value = JSON.parse(body) as typeof value;
  } catch {
    throw new GateError(
      `${target.name} answered ${user.userId} with HTTP ${status} and a non-JSON body: ${body}`,
    );
  }
  if (status !== 200 || value.errors !== undefined || value.data === undefined) {
    throw new GateError(`${target.name} answered ${user.userId} with HTTP ${status}: ${body}`);
  }
  return { text: JSON.stringify(value), value };
}

/** The JSON path of the first difference between two parsed answers, e.g. `data.dashboard.unreadCount`. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return path || '(root)';
  }
  if (typeof a !== 'object' || a === null) return a === b ? undefined : path || '(root)';
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keysA = Object.keys(left);
  const keysB = Object.keys(right);
  if (keysA.join() !== keysB.join())
    return `${path || '(root)'} (keys ${keysA.join(',')} vs ${keysB.join(',')})`;
  for (const key of keysA) {
    const found = firstDifference(left[key], right[key], path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
