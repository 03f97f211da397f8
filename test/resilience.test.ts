// The resilience layer end to end, through a real gateway in front of the real demo services:
// the breaker stops calling a failing service and lets one trial through, GETs are retried on
// another replica within a budget and POSTs never, a refusing replica is ejected and probed back,
// stale answers are served (and said so) while a service is down, the request deadline bounds
// every attempt, and a flapping service never produces an uncoded error.
// Every assertion counts what the stubs received; timing is only ever checked with loose bounds.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DemoServer, Fault } from '../src/demo/services.js';
import { dashboardQuery, expectedDashboard } from './helpers/expected-dashboard.js';
import { clearFaults } from './helpers/faults.js';
import { expectNoLeaks } from './helpers/leaks.js';
import { type GraphQLAnswer, type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const userId = 'u2';
/** Costs exactly one orders call (`dashboard` itself calls nobody). */
const ordersQuery = '{ dashboard { recentOrders(limit: 5) { id status } } }';
/** Costs exactly one products call. */
const productsQuery = (ids: string[]) => `{ products(ids: ${JSON.stringify(ids)}) { id name } }`;
const placeOrder = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
/** A breaker that never opens: for tests about something else. */
const noBreaker = '{ volumeThreshold: 1000000 }';

let token: string;
beforeAll(async () => {
  token = await tokenFor(userId);
});

// What the fault matrix measured, for the closing note: SWITCHBOARD_PRINT_MATRIX=1 prints it.
const matrix: { fault: string; outcome: string; calls: number | string; ms: number | string }[] = [];
afterAll(() => {
  if (process.env.SWITCHBOARD_PRINT_MATRIX) console.table(matrix);
});

/** A stack with its own YAML config, and everything a test needs to talk to it. */
async function stackWith(yaml: string[]): Promise<Stack & { remove(): Promise<void> }> {
  const config: TempConfig = await writeTempConfig(`${yaml.join('\n')}\n`);
  const stack = await startStack({ configFile: config.file });
  return Object.assign(stack, { remove: config.remove });
}

/** One stack per describe block (`perTest` for a fresh one per test), closed afterwards. */
function useStack(yaml: string[], perTest = false): () => Stack & { remove(): Promise<void> } {
  let current: (Stack & { remove(): Promise<void> }) | undefined;
  const open = async () => {
    current = await stackWith(yaml);
  };
  const close = async () => {
    await current?.close();
    await current?.remove();
    current = undefined;
  };
  if (perTest) {
    beforeEach(open);
    afterEach(close);
  } else {
    beforeAll(open);
    afterAll(close);
    beforeEach(() => current?.services.clearRecords());
    afterEach(async () => {
      if (current) await clearFaults(current.services);
    });
  }
  return () => current!;
}

/** The errors as the contract promises them: path, code, service. */
function errorsOf(answer: GraphQLAnswer) {
  return (answer.body.errors ?? []).map((e) => ({
    path: e.path,
    code: e.extensions?.code,
    service: e.extensions?.service,
  }));
}

/** A sample's value from GET /metrics, undefined when the series does not exist. */
async function metric(
  stack: Stack,
  name: string,
  service: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const selector = Object.entries({ service, ...labels })
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${selector}} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** Polls `check` every `everyMs` until it holds; fails the test after `timeoutMs`. */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 8_000, everyMs = 25) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Requests one demo server received for one gateway request (told apart by its request id). */
const callsFor = (server: DemoServer, requestId: string) =>
  server.requests.filter((r) => r.headers['x-request-id'] === requestId);

/** Runs `count` tasks, at most `concurrency` at a time. */
async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Fails orders until its breaker opens (4 calls at 100%, the volume threshold). */
async function openOrdersBreaker(stack: Stack) {
  stack.services.setFault('orders', { kind: 'status', status: 500 });
  for (let i = 0; i < 4; i++) {
    const answer = await stack.graphql(ordersQuery, { token });
    expect(errorsOf(answer)).toEqual([
      { path: ['dashboard', 'recentOrders'], code: 'UPSTREAM_ERROR', service: 'orders' },
    ]);
  }
  expect(stack.services.requests('orders')).toHaveLength(4);
}

const breakerYaml = (resetTimeoutMs: number) => [
  'upstreams:',
  '  orders:',
  '    timeoutMs: 1000',
  '    retries: 0',
  `    breaker: { volumeThreshold: 4, errorThresholdPercent: 50, rollingWindowMs: 10000, resetTimeoutMs: ${resetTimeoutMs} }`,
];
const breakerState = (stack: Stack) => metric(stack, 'switchboard_upstream_breaker_state', 'orders');

describe('circuit breaker, while open', () => {
  // A reset time no test reaches: a slow machine must not see a trial call here.
  const stack = useStack(breakerYaml(60_000), true);
  const orders = () => stack().services.requests('orders');

  it('opens after the volume threshold, then fails fast without calling the service', async () => {
    await openOrdersBreaker(stack());
    expect(await breakerState(stack())).toBe(2);
    for (let i = 0; i < 6; i++) {
      const started = performance.now();
      const answer = await stack().graphql(ordersQuery, { token });
      // Loose: what proves no call was made is the count below.
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ dashboard: { recentOrders: null } });
      expect(errorsOf(answer)).toEqual([
        { path: ['dashboard', 'recentOrders'], code: 'UPSTREAM_UNAVAILABLE', service: 'orders' },
      ]);
      expectNoLeaks(answer.body.errors, stack().services);
    }
    expect(orders()).toHaveLength(4);
    expect(await breakerState(stack())).toBe(2);
  });

  it("does not count 4xx answers: a caller's bad input never opens it", async () => {
    for (let i = 0; i < 6; i++) {
      const answer = await stack().graphql(placeOrder, {
        token,
        variables: { input: { items: [{ productId: 'p999999', quantity: 1 }] } },
      });
      expect(errorsOf(answer)).toEqual([{ path: ['placeOrder'], code: 'BAD_USER_INPUT', service: 'orders' }]);
    }
    expect(orders().filter((r) => r.method === 'POST')).toHaveLength(6);
    expect(await breakerState(stack())).toBeUndefined(); // never changed state
    expect((await stack().graphql(ordersQuery, { token })).body.errors).toBeUndefined();
    expect(orders()).toHaveLength(7);
  });
});

describe('circuit breaker, after resetTimeoutMs', () => {
  const stack = useStack(breakerYaml(500), true);
  const orders = () => stack().services.requests('orders');
  const halfOpen = () => eventually(async () => (await breakerState(stack())) === 1, 5_000);

  it('lets exactly one trial through; its success closes the breaker', async () => {
    await openOrdersBreaker(stack());
    // Healthy again, but slow enough that the trial is still out while the others arrive.
    stack().services.setFault('orders', { kind: 'slow', delayMs: 800 });
    await halfOpen();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => stack().graphql(ordersQuery, { token })),
    );
    expect(orders()).toHaveLength(4 + 1);
    const outcomes = answers.map((a) => (a.body.errors ? errorsOf(a)[0]!.code : 'ok')).sort();
    expect(outcomes).toEqual([...new Array(5).fill('UPSTREAM_UNAVAILABLE'), 'ok']);
    expect(await breakerState(stack())).toBe(0);

    // Closed: every call flows again.
    stack().services.setFault('orders', null);
    for (let i = 0; i < 3; i++) {
      expect((await stack().graphql(ordersQuery, { token })).body.errors).toBeUndefined();
    }
    expect(orders()).toHaveLength(4 + 1 + 3);
  });

  it('reopens when the trial fails, and tries once more only after another resetTimeoutMs', async () => {
    await openOrdersBreaker(stack());
    await halfOpen();
    const trial = await stack().graphql(ordersQuery, { token });
    expect(errorsOf(trial)[0]?.code).toBe('UPSTREAM_ERROR');
    expect(orders()).toHaveLength(4 + 1);
    const opened = () =>
      metric(stack(), 'switchboard_upstream_breaker_transitions_total', 'orders', { state: 'open' });
    expect(await opened()).toBe(2);
    await halfOpen();
    expect(errorsOf(await stack().graphql(ordersQuery, { token }))[0]?.code).toBe('UPSTREAM_ERROR');
    expect(orders()).toHaveLength(4 + 1 + 1);
    expect(await opened()).toBe(3);
  });
});

describe('retries', () => {
  const stack = useStack(
    [
      'upstreams:',
      `  products: { timeoutMs: 1000, retries: 1, breaker: ${noBreaker} }`,
      `  orders: { timeoutMs: 400, retries: 2, breaker: ${noBreaker} }`,
    ],
    true,
  );

  it('retries a failed GET once, on another replica: the caller sees no error', async () => {
    stack().services.products[0]!.setFault({ kind: 'status', status: 503 });
    const replicas = stack().services.products;
    for (let i = 0; i < 9; i++) {
      const requestId = `retry-${i}`;
      const answer = await stack().graphql(productsQuery(['p1', 'p2']), {
        headers: { 'x-request-id': requestId },
      });
      expect(answer.body.errors).toBeUndefined();
      expect((answer.body.data!.products as { id: string }[]).map((p) => p.id)).toEqual(['p1', 'p2']);
      const calls = replicas
        .flatMap((replica, index) =>
          callsFor(replica, requestId).map((call) => ({ index, at: call.receivedAt })),
        )
        .sort((a, b) => a.at - b.at)
        .map((c) => c.index);
      // Either it went to a healthy replica at once, or to the failing one and then elsewhere.
      if (calls[0] === 0) expect(calls).toHaveLength(2);
      else expect(calls).toHaveLength(1);
      expect(calls.slice(1)).not.toContain(0);
    }
    // Round-robin from replica 0: it failed three times in a row, then was ejected.
    expect(replicas[0]!.requests.filter((r) => r.path === '/products')).toHaveLength(3);
    expect(await metric(stack(), 'switchboard_upstream_retries_total', 'products')).toBe(3);
  });

  it.each([
    ['answers 500', { kind: 'status', status: 500 } as Fault, 'UPSTREAM_ERROR'],
    ['hangs', { kind: 'hang' } as Fault, 'UPSTREAM_TIMEOUT'],
    ['resets the connection', { kind: 'reset' } as Fault, 'UPSTREAM_UNAVAILABLE'],
  ])('never retries a POST when the service %s', async (_what, fault, code) => {
    stack().services.setFault('orders', fault);
    const answer = await stack().graphql(placeOrder, {
      token,
      variables: { input: { items: [{ productId: 'p1', quantity: 1 }] } },
    });
    expect(errorsOf(answer)).toEqual([{ path: ['placeOrder'], code, service: 'orders' }]);
    // A retry fired in the background would still arrive: give it the time.
    await sleep(300);
    expect(
      stack()
        .services.requests('orders')
        .filter((r) => r.method === 'POST'),
    ).toHaveLength(1);
    expect(await metric(stack(), 'switchboard_upstream_retries_total', 'orders')).toBeUndefined();
  });
});

describe('retry budget', () => {
  // Generous timeouts: the storm loads the machine, and a slow 503 must not turn into a timeout.
  const stack = useStack(
    ['upstreams:', `  orders: { timeoutMs: 5000, retries: 2, breaker: ${noBreaker} }`],
    true,
  );

  it('makes at most `retries` extra attempts', async () => {
    stack().services.setFault('orders', { kind: 'status', status: 503 });
    const answer = await stack().graphql(ordersQuery, { token });
    expect(errorsOf(answer)).toEqual([
      { path: ['dashboard', 'recentOrders'], code: 'UPSTREAM_ERROR', service: 'orders' },
    ]);
    expect(stack().services.requests('orders')).toHaveLength(1 + 2);
    expect(await metric(stack(), 'switchboard_upstream_retries_total', 'orders')).toBe(2);
  });

  it('keeps retries within the budget (20% of calls + 3) under a 503 storm', async () => {
    stack().services.setFault('orders', { kind: 'status', status: 503 });
    const queries = 50;
    const answers = await pool(queries, 10, (i) =>
      stack().graphql(ordersQuery, { token, headers: { 'x-request-id': `storm-${i}` } }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(errorsOf(answer)).toEqual([
        { path: ['dashboard', 'recentOrders'], code: 'UPSTREAM_ERROR', service: 'orders' },
      ]);
    }
    const calls = stack().services.requests('orders');
    const firstAttempts = new Set(calls.map((c) => c.headers['x-request-id'])).size;
    expect(firstAttempts).toBe(queries);
    const retries = calls.length - firstAttempts;
    expect(calls.length).toBeLessThanOrEqual(Math.floor(firstAttempts * 1.2) + 3);
    expect(retries).toBeGreaterThanOrEqual(3); // the budget's floor was used
    for (let i = 0; i < queries; i++) {
      expect(calls.filter((c) => c.headers['x-request-id'] === `storm-${i}`).length).toBeLessThanOrEqual(3);
    }
    expect(await metric(stack(), 'switchboard_upstream_retries_total', 'orders')).toBe(retries);
  });
});

describe('replica ejection', () => {
  const stack = useStack(
    ['upstreams:', `  products: { timeoutMs: 1000, retries: 1, breaker: ${noBreaker} }`],
    true,
  );
  const productCalls = (replica: DemoServer) => replica.requests.filter((r) => r.path === '/products');
  const ejected = () => metric(stack(), 'switchboard_upstream_ejected_replicas', 'products');

  it('one replica of three refusing: no error ever reaches the caller, and it gets traffic back once it recovers', async () => {
    const [r0, r1, r2] = stack().services.products as [DemoServer, DemoServer, DemoServer];
    r1.setFault({ kind: 'refuse' });
    for (let i = 0; i < 30; i++) {
      const answer = await stack().graphql(productsQuery(['p1']));
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data).toEqual({ products: [{ id: 'p1', name: expect.any(String) }] });
    }
    // A refused connection leaves no record: the two others answered every query, once each.
    expect(productCalls(r0).length + productCalls(r2).length).toBe(30);
    expect(await ejected()).toBe(1);

    // Recovery: listening again, but out of rotation until the cool-down (2 s) and a probe.
    await clearFaults(stack().services);
    stack().services.clearRecords();
    // One query per 100 ms: enough to pass over the replica, well inside the rate limit.
    await eventually(
      async () => {
        const answer = await stack().graphql(productsQuery(['p1']));
        expect(answer.body.errors).toBeUndefined();
        return productCalls(r1).length > 0;
      },
      8_000,
      100,
    );
    const health = r1.requests.filter((r) => r.path === '/health');
    expect(health).toHaveLength(1);
    // The probe came first, in the background: no caller waited for it.
    expect(health[0]!.receivedAt).toBeLessThan(productCalls(r1)[0]!.receivedAt);
    expect(health[0]!.headers['x-request-id']).toBeUndefined();
    expect(await ejected()).toBe(0);
  });

  it('takes a replica answering 503 out after 3 failures in a row; it gets nothing more while out', async () => {
    const [r0, r1, r2] = stack().services.products as [DemoServer, DemoServer, DemoServer];
    r2.setFault({ kind: 'status', status: 503 });
    for (let i = 0; i < 30; i++) {
      expect((await stack().graphql(productsQuery(['p1']))).body.errors).toBeUndefined();
    }
    expect(productCalls(r2)).toHaveLength(3);
    // 30 answers plus the 3 retries of the failed attempts.
    expect(productCalls(r0).length + productCalls(r1).length).toBe(30);
    expect(await ejected()).toBe(1);
  });
});

describe('a hanging replica', () => {
  const stack = useStack(['upstreams:', `  products: { timeoutMs: 500, retries: 1, breaker: ${noBreaker} }`]);

  it('costs its callers one timeout and a retry elsewhere, and aborts no other call', async () => {
    const replicas = stack().services.products;
    replicas[0]!.setFault({ kind: 'hang' });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        stack().graphql(productsQuery([`p${i + 1}`]), { headers: { 'x-request-id': `hang-${i}` } }),
      ),
    );
    for (const answer of answers) expect(answer.body.errors).toBeUndefined();
    const hung = replicas[0]!.requests.filter((r) => r.path === '/products');
    expect(hung.length).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) {
      const onHealthy = [replicas[1]!, replicas[2]!].flatMap((r) => callsFor(r, `hang-${i}`));
      // Exactly one call on a healthy replica (the first, or the retry), and it was answered:
      // the timeouts on replica 0 aborted nothing but their own attempts.
      expect(onHealthy).toHaveLength(1);
      expect(onHealthy[0]!.answeredAt).toBeDefined();
    }
  });
});

describe('stale-if-error', () => {
  const stack = useStack(
    [
      'upstreams:',
      `  products: { timeoutMs: 500, retries: 0, staleIfErrorSeconds: 30, breaker: ${noBreaker} }`,
      `  orders: { timeoutMs: 500, retries: 0, staleIfErrorSeconds: 30, breaker: { volumeThreshold: 2, resetTimeoutMs: 60000 } }`,
    ],
    true,
  );
  const staleAnswers = (service: string) =>
    metric(stack(), 'switchboard_upstream_stale_answers_total', service);

  it.each([
    ['answers 500', { kind: 'status', status: 500 } as Fault],
    ['refuses connections', { kind: 'refuse' } as Fault],
  ])('serves the last good answer while the service %s, and says so', async (_what, fault) => {
    const query = productsQuery(['p1', 'p2']);
    const fresh = await stack().graphql(query);
    expect(fresh.body.errors).toBeUndefined();
    expect(fresh.body.extensions?.degraded).toBeUndefined();

    stack().services.setFault('products', fault);
    const stale = await stack().graphql(query);
    expect(stale.status).toBe(200);
    expect(stale.body.errors).toBeUndefined();
    expect(stale.body.data).toEqual(fresh.body.data);
    // The field served from the cache, once (not once per record or per scalar under it).
    expect(stale.body.extensions?.degraded).toEqual([
      { path: ['products'], service: 'products', ageSeconds: 0 },
    ]);
    expect(await staleAnswers('products')).toBe(1);

    // Another question was never answered: nothing to fall back on.
    const other = await stack().graphql(productsQuery(['p3']));
    expect(errorsOf(other)).toEqual([
      {
        path: ['products'],
        code: fault.kind === 'refuse' ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_ERROR',
        service: 'products',
      },
    ]);
    expect(other.body.extensions?.degraded).toBeUndefined();
  });

  it('marks a list as stale even when its first entry is null', async () => {
    const query = productsQuery(['p999999', 'p1']);
    const fresh = await stack().graphql(query);
    expect(fresh.body.data).toEqual({ products: [null, { id: 'p1', name: expect.any(String) }] });
    stack().services.setFault('products', { kind: 'status', status: 500 });
    const stale = await stack().graphql(query);
    expect(stale.body.data).toEqual(fresh.body.data);
    expect(stale.body.extensions?.degraded).toEqual([
      { path: ['products'], service: 'products', ageSeconds: 0 },
    ]);
  });

  it('serves the dashboard with stale orders, also once the breaker is open and no call is made', async () => {
    const fresh = await stack().graphql(dashboardQuery, { token });
    expect(fresh.body.errors).toBeUndefined();
    stack().services.setFault('orders', { kind: 'status', status: 503 });
    for (let i = 0; i < 4; i++) {
      const stale = await stack().graphql(dashboardQuery, { token });
      expect(stale.body.errors).toBeUndefined();
      expect(stale.body.data).toEqual(fresh.body.data);
      expect(stale.body.extensions?.degraded).toEqual([
        { path: ['dashboard', 'recentOrders'], service: 'orders', ageSeconds: 0 },
      ]);
    }
    // The first failure opened the breaker (1 of 2 calls is the default 50%, and the volume
    // threshold is 2): the three answers after it were served without a call.
    expect(stack().services.requests('orders')).toHaveLength(1 + 1);
    expect(await metric(stack(), 'switchboard_upstream_breaker_state', 'orders')).toBe(2);
    expect(await staleAnswers('orders')).toBe(4);
  });
});

describe('stale-if-error off (the default)', () => {
  const stack = useStack(['upstreams:', `  products: { timeoutMs: 500, retries: 0, breaker: ${noBreaker} }`]);

  it('never serves a stale answer', async () => {
    const query = productsQuery(['p1', 'p2']);
    expect((await stack().graphql(query)).body.errors).toBeUndefined();
    stack().services.setFault('products', { kind: 'status', status: 500 });
    const answer = await stack().graphql(query);
    expect(errorsOf(answer)).toEqual([{ path: ['products'], code: 'UPSTREAM_ERROR', service: 'products' }]);
    expect(answer.body.extensions?.degraded).toBeUndefined();
  });
});

describe('request deadline', () => {
  const stack = useStack(['server: { requestTimeoutMs: 300 }', 'upstreams:', '  users: { timeoutMs: 2000 }']);

  it("bounds an attempt by what remains of the request, not by the service's own timeout", async () => {
    stack().services.setFault('users', { kind: 'hang' });
    const started = performance.now();
    const answer = await stack().graphql('{ me { id name } }', { token });
    const elapsedMs = performance.now() - started;
    expect(answer.status).toBe(200);
    expect(errorsOf(answer)).toEqual([{ path: ['me'], code: 'UPSTREAM_TIMEOUT', service: 'users' }]);
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(1_500);
    // No time was left for the configured retry.
    expect(stack().services.requests('users')).toHaveLength(1);
  });
});

describe('a flapping service', () => {
  const stack = useStack([
    'upstreams:',
    '  orders: { timeoutMs: 500, breaker: { resetTimeoutMs: 300 } }',
    '  products: { timeoutMs: 500 }',
    // Hundreds of dashboards in 2 s from one user: this test is about flapping, not rate limits.
    'rateLimits: { tiers: { anonymous: { requests: 1000000, windowSeconds: 60 } } }',
  ]);

  it('only ever produces full answers or coded partial results', async () => {
    const { services } = stack();
    const expected = expectedDashboard(services.data, userId);
    let down = false;
    const flip = setInterval(() => {
      down = !down;
      const fault: Fault | null = down ? { kind: 'status', status: 503 } : null;
      services.setFault('orders', fault);
      services.products[0]!.setFault(fault);
    }, 200);
    const seen = { full: 0, partial: 0, slowestMs: 0 };
    try {
      const stopAt = performance.now() + 2_000;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (performance.now() < stopAt) {
            const started = performance.now();
            const answer = await stack().graphql(dashboardQuery, { token });
            seen.slowestMs = Math.max(seen.slowestMs, performance.now() - started);
            expect(answer.status).toBe(200);
            if (!answer.body.errors) {
              expect(answer.body.data?.dashboard).toEqual(expected);
              seen.full++;
              continue;
            }
            seen.partial++;
            for (const error of answer.body.errors) {
              expect(error.extensions?.code).toMatch(/^UPSTREAM_(ERROR|UNAVAILABLE|TIMEOUT)$/);
              expect(['orders', 'products']).toContain(error.extensions?.service);
              expect(error.path?.slice(0, 2)).toEqual(['dashboard', 'recentOrders']);
            }
            // Everything the other services feed is still there.
            const dashboard = answer.body.data?.dashboard as typeof expected;
            expect(dashboard.user).toEqual(expected.user);
            expect(dashboard.notifications).toEqual(expected.notifications);
          }
        }),
      );
    } finally {
      clearInterval(flip);
    }
    expect(seen.full).toBeGreaterThan(0);
    expect(seen.partial).toBeGreaterThan(0);
    matrix.push({
      fault: 'flapping 503 every 200 ms (orders + 1 products replica)',
      outcome: `${seen.full} full, ${seen.partial} coded partial (UPSTREAM_*), 0 uncoded`,
      calls: '-',
      ms: `slowest ${Math.round(seen.slowestMs)}`,
    });
  });
});

describe('fault matrix', () => {
  // orders with the defaults that matter here (1 retry) and a short timeout; no breaker, so
  // every row starts from the same state.
  const timeoutMs = 300;
  // A fresh stack per row: the retry budget of a quiet service (3 per 10 s) would otherwise be
  // spent by the first rows.
  const stack = useStack(
    [
      'upstreams:',
      `  orders: { timeoutMs: ${timeoutMs}, retries: 1, maxResponseBytes: 65536, breaker: ${noBreaker} }`,
    ],
    true,
  );

  // Latency bounds are loose on purpose (a loaded CI machine): the code and the call count are
  // what show whether a timeout was waited for.
  const fast = { min: 0, max: 2_000 };
  const twoTimeouts = { min: 2 * timeoutMs, max: 3_000 };
  type Row = [name: string, fault: Fault | null, code: string | null, calls: number, ms: typeof fast];
  const rows: Row[] = [
    ['none', null, null, 1, fast],
    ['slow 100 ms', { kind: 'slow', delayMs: 100 }, null, 1, { min: 100, max: 2_000 }],
    // A timeout is retried once: two timeouts and a backoff.
    ['slow 1 s', { kind: 'slow', delayMs: 1_000 }, 'UPSTREAM_TIMEOUT', 2, twoTimeouts],
    ['hang', { kind: 'hang' }, 'UPSTREAM_TIMEOUT', 2, twoTimeouts],
    // Refused connections are never recorded by the closed server.
    ['refuse', { kind: 'refuse' }, 'UPSTREAM_UNAVAILABLE', 0, fast],
    ['reset mid-body', { kind: 'reset' }, 'UPSTREAM_UNAVAILABLE', 2, fast],
    ['HTTP 500', { kind: 'status', status: 500 }, 'UPSTREAM_ERROR', 2, fast],
    ['HTTP 503', { kind: 'status', status: 503 }, 'UPSTREAM_ERROR', 2, fast],
    // A 200 the gateway cannot use is not retried: the service answered, and would again.
    ['malformed JSON', { kind: 'malformed' }, 'UPSTREAM_ERROR', 1, fast],
    ['HTML', { kind: 'html' }, 'UPSTREAM_ERROR', 1, fast],
    ['huge body (1 MiB > 64 KiB)', { kind: 'huge', bytes: 1_048_576 }, 'UPSTREAM_ERROR', 1, fast],
  ];
  const cases = rows.map(([name, fault, code, calls, ms]) => ({ name, fault, code, calls, ...ms }));

  it.each(cases)('$name', async ({ name, fault, code, calls, min, max }) => {
    stack().services.setFault('orders', fault);
    const started = performance.now();
    const answer = await stack().graphql(ordersQuery, { token });
    const ms = Math.round(performance.now() - started);
    expect(answer.status).toBe(200);
    if (code === null) expect(answer.body.errors).toBeUndefined();
    else {
      expect(errorsOf(answer)).toEqual([{ path: ['dashboard', 'recentOrders'], code, service: 'orders' }]);
      expectNoLeaks(answer.body.errors, stack().services);
    }
    expect(stack().services.requests('orders')).toHaveLength(calls);
    expect(ms).toBeGreaterThanOrEqual(min - 20);
    expect(ms).toBeLessThan(max);
    matrix.push({ fault: name, outcome: code === null ? 'full answer' : `${code} (orders)`, calls, ms });
  });
});
