// Proof that the stubs serve the demo's data: before the first scenario, the demo services
// (src/demo) are started in this process and the same requests go to both. For demo users
// (u1…u1000) every answer must be byte for byte the demo's (status, content-type, cache-control,
// body); for a copy (u1001 and up) it must be its template's answer with the copy's user id. Errors
// (a missing id list, a limit out of range, too many ids) must match too. Any difference aborts
// the run: the gateway would otherwise be measured on data the contract does not describe.
import { startDemoServices } from '../../src/demo/services.js';
import { GateError } from '../correctness.js';
import type { UpstreamUrls } from '../scenarios.js';
import { templateCount, templateOf } from '../users.js';

type Service = 'users' | 'orders' | 'notifications' | 'products';

interface Answer {
  status: number;
  contentType: string | null;
  cacheControl: string | null;
  body: string;
}

async function get(base: string, path: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    body: await response.text(),
  };
}

/** Requests both must answer alike, for the demo users `n` (2…1000) picked below. */
function demoUserRequests(n: number): [Service, string][] {
  return [
    ['users', `/users?ids=u${n}`],
    ['orders', `/orders?userIds=u${n}&limit=2`],
    ['orders', `/orders?userIds=u${n}`],
    ['notifications', `/notifications?userIds=u${n}&unreadOnly=false&limit=2`],
    ['notifications', `/notifications?userIds=u${n}&unreadOnly=true&limit=100`],
  ];
}

const fixed: [Service, string][] = [
  ['users', '/health'],
  ['users', '/users?ids=u3%2Cu7,u3,,u999,nobody'],
  ['users', '/users'],
  ['users', '/users?ids=%2C'],
  ['orders', '/orders?userIds=u2,u5&limit=3'],
  ['orders', '/orders?userIds=u2&limit=0'],
  ['orders', '/orders?userIds=u2&limit=51'],
  ['notifications', '/notifications?userIds=u2,u9&unreadOnly=true'],
  ['notifications', '/notifications?userIds=u2&unreadOnly=maybe'],
  ['products', '/products?ids=p3,p1,p3,p500,p501'],
  ['products', `/products?ids=${Array.from({ length: 101 }, (_, i) => `p${i + 1}`).join(',')}`],
  ['products', '/products?ids=p42'],
];

/** Compares the stubs at `stubs` with freshly started demo services; throws a GateError on a difference. */
export async function checkStubsAgainstDemo(
  stubs: UpstreamUrls,
  options: { productsCacheControl: string; copies: number[] },
): Promise<number> {
  const demo = await startDemoServices({ productsCacheControl: options.productsCacheControl });
  const url = (urls: UpstreamUrls, service: Service) =>
    service === 'products' ? urls.products[0]! : urls[service];
  let compared = 0;
  try {
    const requests = [...fixed, ...[2, 3, 17, 256, 511, 999, 1000].flatMap(demoUserRequests)];
    for (const [service, path] of requests) {
      const [mine, theirs] = await Promise.all([
        get(url(stubs, service), path),
        get(url(demo.urls, service), path),
      ]);
      compare(`${service} ${path}`, mine, theirs);
      compared++;
    }
    // A copy: its template's answer, with the copy's id where the template's was.
    for (const n of options.copies.filter((c) => c > templateCount)) {
      const template = templateOf(n);
      for (const [service, path] of demoUserRequests(template)) {
        const mine = await get(url(stubs, service), path.replace(`u${template}`, `u${n}`));
        const theirs = await get(url(demo.urls, service), path);
        theirs.body = copyOf(service, theirs.body, template, n);
        compare(`${service} ${path} (as u${n}, a copy of u${template})`, mine, theirs);
        compared++;
      }
    }
  } finally {
    await demo.close();
  }
  return compared;
}

/** The template's answer as its copy `n` gets it: its own id (and, for the user record, email and role). */
function copyOf(service: Service, body: string, template: number, n: number): string {
  const records = JSON.parse(body) as Record<string, unknown>[];
  for (const record of records) {
    if (service === 'users') {
      record.id = `u${n}`;
      record.email = String(record.email).replace(/\d+@/, `${n}@`);
      record.role = 'USER';
    } else if (record.userId === `u${template}`) record.userId = `u${n}`;
  }
  return JSON.stringify(records);
}

function compare(what: string, mine: Answer, theirs: Answer): void {
  for (const field of ['status', 'contentType', 'cacheControl', 'body'] as const) {
    if (mine[field] === theirs[field]) continue;
    throw new GateError(
      `the upstream stubs answer ${what} unlike the demo services (${field}):\n` +
        `  stubs: ${String(mine[field]).slice(0, 400)}\n  demo:  ${String(theirs[field]).slice(0, 400)}`,
    );
  }
}
