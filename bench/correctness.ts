// The correctness gate: before any load, R, N and G must give the same answer to the benchmark
// query. Bodies are compared after JSON.parse + JSON.stringify (key order kept, whitespace
// dropped). Any HTTP status but 200, any `errors`, any difference aborts the run with the user,
// the servers and the first differing JSON path.
//
// Every copy of a demo user has that user's dashboard (bench/users.ts), so the first target (R)
// is asked once per template, through the first user of the list that copies it, and that answer
// is what every user of the template must get: from every target for the `compared` users spread
// over the list here, and for every request under load (load.ts).
import { dashboardBody } from './dashboard.js';
import type { BenchUser } from './user-modes.js';
import { templateOf, userNumber } from './users.js';

export interface GateTarget {
  name: string;
  url: string;
}

export class GateError extends Error {}

/** The agreed answer of every user of the list. */
export type Expected = (userId: string) => string;

const templateKey = (user: BenchUser) => {
  const n = userNumber(user.userId);
  if (n === undefined) throw new GateError(`${user.userId} is not a bench user id`);
  return templateOf(n);
};

/**
 * Asks the first target for one user per template and every target for `compared` users spread
 * over the list (all by default); returns the agreed answer per user.
 */
export async function checkAgreement(
  targets: readonly GateTarget[],
  users: readonly BenchUser[],
  headers: Record<string, string> = {},
  compared = users.length,
  body = dashboardBody,
): Promise<Expected> {
  const reference = targets[0]!;
  // A few requests one at a time first: a server that just started compiles its hot paths on
  // the first requests, and a burst of 32 at once would make the gate a stress test.
  for (const target of targets) {
    for (const user of users.slice(0, 20)) await ask(target, user, headers, body).catch(() => undefined);
  }
  const representatives = new Map<number, BenchUser>();
  for (const user of users)
    if (!representatives.has(templateKey(user))) representatives.set(templateKey(user), user);
  const answers = new Map<number, { text: string; value: unknown; user: BenchUser }>();
  let withProducts = 0;
  await forEachLimited([...representatives], 32, async ([template, user]) => {
    const answer = await ask(reference, user, headers, body);
    answers.set(template, { ...answer, user });
    if (answer.text.includes('"product":{')) withProducts++;
  });
  // Agreement on empty dashboards would prove little: most users must have products to show.
  if (withProducts < answers.size / 2) {
    throw new GateError(`only ${withProducts} of ${answers.size} distinct dashboards show a product`);
  }

  const count = Math.min(compared, users.length);
  const step = users.length / Math.max(1, count);
  const sample = Array.from({ length: count }, (_, i) => users[Math.floor(i * step)]!);
  await forEachLimited(sample, 32, async (user) => {
    const agreed = answers.get(templateKey(user))!;
    for (const target of targets) {
      const answer = await ask(target, user, headers, body);
      if (answer.text === agreed.text) continue;
      const where = firstDifference(agreed.value, answer.value) ?? '(the whole answer)';
      const same = agreed.user === user ? '' : ` (as a copy of the same demo user as ${agreed.user.userId})`;
      throw new GateError(
        `${target.name} answered ${user.userId} unlike ${reference.name}${same}, at ${where}\n` +
          `  ${reference.name}: ${agreed.text}\n  ${target.name}: ${answer.text}`,
      );
    }
  });
  return (userId) => {
    const n = userNumber(userId);
    const agreed = n === undefined ? undefined : answers.get(templateOf(n));
    if (!agreed) throw new Error(`no agreed answer for ${userId}`);
    return agreed.text;
  };
}

async function ask(
  target: GateTarget,
  user: BenchUser,
  headers: Record<string, string>,
  query: string,
): Promise<{ text: string; value: unknown }> {
  let status = 0;
  let body = '';
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, ...headers },
      body: query,
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

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
