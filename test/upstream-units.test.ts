// The resilience parts of the upstream client one at a time, with injected clocks where time
// matters: the retry budget, the replica rotation with passive outlier detection, the
// stale-if-error cache, the breaker's window, and the client's bookkeeping around deadlines
// and connection failures (against real sockets on port 0).
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { BreakerConfig, UpstreamConfig } from '../src/config/types.js';
import { createDegradedTracker } from '../src/observability/degraded.js';
import {
  createUpstreamClient,
  type UpstreamClient,
  type UpstreamClientOptions,
} from '../src/upstream/client.js';
import { type UpstreamFailure, upstreamFailure } from '../src/upstream/errors.js';
import { createServiceBreaker, type ServiceBreaker } from '../src/upstream/layers/breaker.js';
import {
  createReplicaSet,
  type Replica,
  type ReplicaSet,
  type ReplicaSetOptions,
} from '../src/upstream/replica-set.js';
import { createRetryBudget } from '../src/upstream/retry-budget.js';
import { connectHttp } from '../src/upstream/transport/http.js';
import { httpTransportModule } from '../src/upstream/transport/index.js';
import type { CallContext } from '../src/upstream/types.js';
import { type StubService, sendJson, startStubService } from './helpers/stub-service.js';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** Takes retries until the budget says no; how many it gave. */
function drain(budget: { tryAcquire(): boolean }, max = 1_000): number {
  let n = 0;
  while (n < max && budget.tryAcquire()) n++;
  return n;
}

describe('retry budget', () => {
  it('allows the floor of 3 retries to a quiet service, then refuses', () => {
    const clock = manualClock();
    const budget = createRetryBudget({ now: clock.now });
    expect(drain(budget)).toBe(3);
    budget.recordCall();
    expect(budget.tryAcquire()).toBe(false);
  });

  it('allows retries up to 20% of the calls in the window', () => {
    const clock = manualClock();
    const budget = createRetryBudget({ now: clock.now });
    for (let i = 0; i < 100; i++) budget.recordCall();
    expect(drain(budget)).toBe(20);
    // Five more calls earn exactly one more retry.
    for (let i = 0; i < 5; i++) budget.recordCall();
    expect(drain(budget)).toBe(1);
  });

  it('forgets calls and retries as they slide out of the window, bucket by bucket', () => {
    const clock = manualClock(0);
    const budget = createRetryBudget({ now: clock.now, windowMs: 10_000 });
    for (let i = 0; i < 50; i++) budget.recordCall(); // bucket 0
    expect(drain(budget)).toBe(10);
    clock.set(5_000);
    for (let i = 0; i < 50; i++) budget.recordCall(); // bucket 5: 100 calls in the window
    expect(drain(budget)).toBe(10);
    clock.set(9_999); // bucket 9: everything still inside
    expect(budget.tryAcquire()).toBe(false);
    clock.set(10_000); // bucket 0 slides out: 50 calls, the 10 retries taken at 5 s
    expect(budget.tryAcquire()).toBe(false);
    clock.set(15_000); // bucket 5 slides out too: an empty window, back to the floor
    expect(drain(budget)).toBe(3);
  });

  it('starts from an empty window after a long quiet spell', () => {
    const clock = manualClock(0);
    const budget = createRetryBudget({ now: clock.now });
    for (let i = 0; i < 1_000; i++) budget.recordCall();
    expect(drain(budget)).toBe(200);
    clock.advance(3_600_000);
    expect(drain(budget)).toBe(3);
  });

  it('takes its ratio, floor and window from options', () => {
    const clock = manualClock(0);
    const budget = createRetryBudget({ now: clock.now, ratio: 0.5, minRetriesPerWindow: 0, windowMs: 1_000 });
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 10; i++) budget.recordCall();
    expect(drain(budget)).toBe(5);
    clock.advance(1_000);
    expect(budget.tryAcquire()).toBe(false);
  });
});

/** A connection that only remembers its address (the replica set never looks inside). */
const connect = ({ address }: { address: string }) => ({ address, close: async () => {} });
type Conn = ReturnType<typeof connect>;

describe('replica set', () => {
  const urls = ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'];
  let sets: ReplicaSet<Conn>[] = [];
  afterEach(async () => {
    await Promise.all(sets.map((s) => s.close()));
    sets = [];
  });

  /** A set over `count` URLs with a manual clock and a probe the test answers. */
  function replicaSet(count = 3, extra: Partial<ReplicaSetOptions<Conn>> = {}) {
    const clock = manualClock();
    const events: string[] = [];
    const probes: { replica: number; answer: (healthy: boolean) => void }[] = [];
    const set = createReplicaSet<Conn>(urls.slice(0, count), {
      connect,
      now: clock.now,
      probe: (replica) =>
        new Promise<boolean>((resolve) => probes.push({ replica: replica.index, answer: resolve })),
      onEject: (r) => events.push(`eject ${r.index}`),
      onReturn: (r) => events.push(`return ${r.index}`),
      ...extra,
    });
    sets.push(set);
    return { set, clock, events, probes };
  }

  const indexes = (set: ReplicaSet<Conn>, n: number, avoid?: Replica) =>
    Array.from({ length: n }, () => set.next(avoid).index);

  it('rotates round-robin over one connection per address', () => {
    const set = createReplicaSet(['a', 'b'], { connect });
    sets.push(set);
    expect(set.size).toBe(2);
    const [a, b] = [set.next(), set.next()];
    expect([a.index, a.connection.address]).toEqual([0, 'a']);
    expect([b.index, b.connection.address]).toEqual([1, 'b']);
    expect(set.next().index).toBe(0);
  });

  it('refuses an empty address list', () => {
    expect(() => createReplicaSet([], { connect })).toThrow(/at least one address/);
  });

  it("keeps an HTTP replica's base path and origin apart", async () => {
    const connection = connectHttp('http://127.0.0.1:1/api/', 1);
    expect(connection.basePath).toBe('/api');
    await connection.close();
  });

  it('skips the replica a retry just failed on', () => {
    const { set } = replicaSet();
    const first = set.next(); // 0
    expect(indexes(set, 4, first)).toEqual([1, 2, 1, 2]);
  });

  it('ejects after 3 consecutive failures, not after 2 or after failures broken by a success', () => {
    const { set, events } = replicaSet();
    const r1 = set.next();
    set.report(r1, false, false);
    set.report(r1, false, false);
    set.report(r1, true, false);
    set.report(r1, false, false);
    set.report(r1, false, false);
    expect(set.ejectedCount()).toBe(0);
    set.report(r1, false, false);
    expect(set.ejectedCount()).toBe(1);
    expect(events).toEqual(['eject 0']);
    expect(indexes(set, 6)).toEqual([1, 2, 1, 2, 1, 2]);
  });

  it('ejects at once on a connection that could not be made', () => {
    const { set, events } = replicaSet();
    set.report(set.next(), false, true);
    expect(set.ejectedCount()).toBe(1);
    expect(events).toEqual(['eject 0']);
  });

  it('never ejects the only replica', () => {
    const { set, events } = replicaSet(1);
    const only = set.next();
    for (let i = 0; i < 10; i++) set.report(only, false, true);
    expect(set.ejectedCount()).toBe(0);
    expect(events).toEqual([]);
    expect(set.next()).toBe(only);
  });

  it('keeps serving when every replica is out (panic mode), still avoiding the one that failed', () => {
    const { set } = replicaSet();
    for (let i = 0; i < 3; i++) set.report(set.next(), false, true);
    expect(set.ejectedCount()).toBe(3);
    const seen = indexes(set, 6);
    expect(new Set(seen)).toEqual(new Set([0, 1, 2]));
    const avoid = set.next();
    for (let i = 0; i < 6; i++) expect(set.next(avoid)).not.toBe(avoid);
  });

  it('probes once after the cool-down and returns the replica only when the probe answers', async () => {
    const { set, clock, events, probes } = replicaSet();
    set.report(set.next(), false, true); // replica 0 out for 2 s
    clock.advance(1_999);
    indexes(set, 6);
    expect(probes).toHaveLength(0);
    clock.advance(1);
    // Every pass over it while the probe is out: one probe, and still out of rotation.
    expect(indexes(set, 6)).not.toContain(0);
    expect(probes.map((p) => p.replica)).toEqual([0]);
    probes[0]!.answer(true);
    await sleep(0);
    expect(set.ejectedCount()).toBe(0);
    expect(events).toEqual(['eject 0', 'return 0']);
    expect(indexes(set, 3).sort()).toEqual([0, 1, 2]);
  });

  it('doubles the cool-down after a failed probe, up to 30 s, telling observers only once', async () => {
    const { set, clock, events, probes } = replicaSet();
    const r0 = set.next();
    set.report(r0, false, true);
    const cooldowns: number[] = [];
    for (let round = 0; round < 6; round++) {
      const start = clock.now();
      // Find when the probe fires: the replica's cool-down, as the rotation sees it.
      let waited = 0;
      while (probes.length === round) {
        if (waited > 60_000) throw new Error(`no probe within a minute in round ${round}`);
        clock.advance(500);
        waited += 500;
        indexes(set, 3);
      }
      cooldowns.push(waited);
      probes[round]!.answer(false);
      await sleep(0);
      expect(clock.now() - start).toBe(waited);
    }
    expect(cooldowns).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    // One ejection, however many probes failed: the ejected-replicas gauge is 1, not 6.
    expect(events).toEqual(['eject 0']);
    expect(set.ejectedCount()).toBe(1);
    clock.advance(30_000);
    indexes(set, 3);
    probes.at(-1)!.answer(true);
    await sleep(0);
    expect(events).toEqual(['eject 0', 'return 0']);
    expect(set.ejectedCount()).toBe(0);
  });

  it('counts a probe that throws as a failed one', async () => {
    const clock = manualClock();
    const events: string[] = [];
    const set = createReplicaSet(urls, {
      connect,
      now: clock.now,
      probe: async () => {
        throw new Error('probe broke');
      },
      onEject: (r) => events.push(`eject ${r.index}`),
    });
    sets.push(set);
    set.report(set.next(), false, true);
    clock.advance(2_000);
    indexes(set, 3);
    await sleep(0);
    expect(set.ejectedCount()).toBe(1);
    expect(events).toEqual(['eject 0']);
  });

  it('starts the cool-down over at 2 s once a returned replica has succeeded', async () => {
    const { set, clock, probes } = replicaSet();
    const r0 = set.next();
    set.report(r0, false, true);
    clock.advance(2_000);
    indexes(set, 3);
    probes[0]!.answer(true);
    await sleep(0);
    set.report(r0, true, false);
    set.report(r0, false, true);
    clock.advance(1_999);
    indexes(set, 3);
    expect(probes).toHaveLength(1);
    clock.advance(1);
    indexes(set, 3);
    expect(probes).toHaveLength(2);
  });
});

describe('degraded tracker', () => {
  const path = (...keys: (string | number)[]) =>
    keys.reduce<{ prev: unknown; key: string | number; typename: undefined } | undefined>(
      (prev, key) => ({ prev, key, typename: undefined }),
      undefined,
    ) as Parameters<ReturnType<typeof createDegradedTracker>['noteDerived']>[0];

  it('recognises the records of a stale answer, alone or anywhere in a list', () => {
    const tracker = createDegradedTracker();
    const [fresh, stale, older] = [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }];
    tracker.markStale('products', [stale], 3);
    tracker.markStale('products', [older], 7);
    expect(tracker.originOf(fresh)).toBeUndefined();
    expect(tracker.originOf(stale)).toEqual({ service: 'products', ageSeconds: 3 });
    expect(tracker.originOf([null, fresh, stale])).toEqual({ service: 'products', ageSeconds: 3 });
    expect(tracker.originOf([stale, older])).toEqual({ service: 'products', ageSeconds: 7 });
    expect(tracker.originOf([fresh, null])).toBeUndefined();
    expect(tracker.originOf(42)).toBeUndefined();
  });

  it('reports a value computed from stale records when its resolver says so', () => {
    const tracker = createDegradedTracker();
    const records = [{ id: 'n1' }];
    tracker.noteDerived(path('dashboard', 'unreadCount'), records);
    expect(tracker.fields).toEqual([]);
    tracker.markStale('notifications', records, 2);
    tracker.noteDerived(path('dashboard', 'unreadCount'), records.slice());
    expect(tracker.fields).toEqual([
      { path: ['dashboard', 'unreadCount'], service: 'notifications', ageSeconds: 2 },
    ]);
  });
});

describe('service breaker', () => {
  let breakers: ServiceBreaker[] = [];
  afterEach(() => {
    for (const b of breakers) b.shutdown();
    breakers = [];
  });

  function breaker(config: Partial<BreakerConfig>) {
    const transitions: string[] = [];
    const b = createServiceBreaker(
      'orders',
      {
        errorThresholdPercent: 50,
        volumeThreshold: 4,
        rollingWindowMs: 10_000,
        resetTimeoutMs: 100,
        ...config,
      },
      (state) => transitions.push(state),
    );
    breakers.push(b);
    return { b, transitions };
  }
  const ok = () => Promise.resolve('ok');
  const fail = () => Promise.reject(upstreamFailure('orders', 'UPSTREAM_ERROR', 'boom', 'error', 500));
  const refused = () =>
    Promise.reject(upstreamFailure('orders', 'UPSTREAM_ERROR', 'no', 'client_error', 404));
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: UpstreamFailure) => e.extensions.code,
    );

  it('opens after the volume threshold and fails fast with UPSTREAM_UNAVAILABLE without calling', async () => {
    const { b, transitions } = breaker({});
    for (let i = 0; i < 3; i++) await settle(b.run(fail));
    expect(b.state()).toBe(0);
    await settle(b.run(fail));
    expect(b.state()).toBe(2);
    let called = 0;
    const error = (await b.run(async () => called++).catch((e) => e)) as UpstreamFailure;
    expect(called).toBe(0);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'orders' });
    expect(error.outcome).toBe('circuit_open');
    expect(transitions).toEqual(['open']);
  });

  it('does not count 4xx answers as failures', async () => {
    const { b } = breaker({ volumeThreshold: 2 });
    for (let i = 0; i < 10; i++) expect(await settle(b.run(refused))).toBe('UPSTREAM_ERROR');
    expect(b.state()).toBe(0);
  });

  it('opens at exactly the threshold share ("at least"), and at 100% when everything fails', async () => {
    const half = breaker({ volumeThreshold: 2, errorThresholdPercent: 50 }).b;
    await settle(half.run(ok));
    await settle(half.run(fail));
    expect(half.state()).toBe(2);
    const all = breaker({ volumeThreshold: 2, errorThresholdPercent: 100 }).b;
    await settle(all.run(fail));
    await settle(all.run(ok));
    await settle(all.run(fail));
    expect(all.state()).toBe(0);
    await settle(all.run(fail));
    await settle(all.run(fail));
    // 3 of 5 is not everything; a window of nothing but failures is.
    expect(all.state()).toBe(0);
    const fresh = breaker({ volumeThreshold: 2, errorThresholdPercent: 100 }).b;
    await settle(fresh.run(fail));
    await settle(fresh.run(fail));
    expect(fresh.state()).toBe(2);
  });

  it('lets one trial through when half-open: success closes, failure reopens', async () => {
    const { b, transitions } = breaker({});
    for (let i = 0; i < 4; i++) await settle(b.run(fail));
    await sleep(150);
    expect(b.state()).toBe(1);
    let calls = 0;
    let release!: () => void;
    const trial = b.run(() => {
      calls++;
      return new Promise<string>((resolve) => {
        release = () => resolve('ok');
      });
    });
    const others = await Promise.all(
      [1, 2, 3].map(() =>
        settle(
          b.run(async () => {
            calls++;
          }),
        ),
      ),
    );
    expect(others).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    release();
    expect(await trial).toBe('ok');
    expect(calls).toBe(1);
    expect(b.state()).toBe(0);
    expect(transitions).toEqual(['open', 'halfOpen', 'close']);

    for (let i = 0; i < 4; i++) await settle(b.run(fail));
    await sleep(150);
    expect(await settle(b.run(fail))).toBe('UPSTREAM_ERROR');
    expect(b.state()).toBe(2);
  });

  it('starts a fresh window when it closes: calls it rejected while open do not dilute a relapse', async () => {
    const { b } = breaker({});
    for (let i = 0; i < 4; i++) await settle(b.run(fail));
    // A busy screen while open: many rejected calls.
    for (let i = 0; i < 50; i++) await settle(b.run(ok));
    await sleep(150);
    await settle(b.run(ok)); // the trial closes it
    expect(b.state()).toBe(0);
    // The service relapses: it takes a new volume threshold of failures to open again, no more
    // (opossum alone counted the 50 rejections as calls: 8 failures in 59 kept it closed) and
    // no fewer (the 4 failures from before are history).
    for (let i = 0; i < 3; i++) await settle(b.run(fail));
    expect(b.state()).toBe(0);
    await settle(b.run(fail));
    expect(b.state()).toBe(2);
  });
});

describe('upstream client bookkeeping', () => {
  const http: UpstreamClientOptions = { transports: { http: httpTransportModule } };
  const breakerConfig: BreakerConfig = {
    errorThresholdPercent: 50,
    volumeThreshold: 2,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 10_000,
  };
  const upstream = (urls: string[], extra: Partial<UpstreamConfig> = {}): UpstreamConfig => ({
    urls,
    protocol: 'http',
    timeoutMs: 1_000,
    maxConnections: 4,
    retries: 0,
    breaker: breakerConfig,
    maxResponseBytes: 1_048_576,
    staleIfErrorSeconds: 0,
    ...extra,
  });
  const ctx = (deadlineInMs: number): CallContext => ({
    requestId: 'unit',
    clientName: 'test',
    deadline: performance.now() + deadlineInMs,
  });
  let client: UpstreamClient | undefined;
  let stubs: StubService[] = [];
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await Promise.all(stubs.map((s) => s.close()));
    stubs = [];
  });

  async function stub(handler: Parameters<typeof startStubService>[0]) {
    const s = await startStubService(handler);
    stubs.push(s);
    return s;
  }

  /** A port nothing listens on: bound, then released. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('makes no call once the request deadline has passed, and counts nothing against the service', async () => {
    const s = await stub((_req, res) => sendJson(res, [{ id: 'p1' }]));
    const calls: string[] = [];
    client = createUpstreamClient(
      { products: upstream([s.url, s.url]) },
      { ...http, events: { call: (e) => calls.push(e.outcome) } },
    );
    for (let i = 0; i < 5; i++) {
      const error = (await client
        .call('products', { method: 'GET', path: '/products' }, ctx(-1))
        .catch((e) => e)) as UpstreamFailure;
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_TIMEOUT', service: 'products' });
    }
    expect(s.requests).toHaveLength(0);
    expect(calls).toEqual([]);
    // Neither the breaker (threshold 2) nor the replicas (3 failures) heard of it.
    expect(client.health()).toEqual([{ service: 'products', breaker: 0, ejected: 0 }]);
    expect(await client.call('products', { method: 'GET', path: '/products' }, ctx(1_000))).toEqual([
      { id: 'p1' },
    ]);
  });

  it('ejects a replica at once when it refuses connections, but not for one reset', async () => {
    const resets = await stub((req) => req.socket.destroy());
    const port = await closedPort();
    client = createUpstreamClient(
      {
        products: upstream([resets.url, `http://127.0.0.1:${port}`, resets.url], {
          breaker: { ...breakerConfig, volumeThreshold: 1_000 },
        }),
      },
      http,
    );
    const call = async () =>
      (await client!
        .call('products', { method: 'GET', path: '/products' }, ctx(1_000))
        .catch((e) => e)) as UpstreamFailure;
    const first = await call(); // replica 0: reset
    expect(first.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'products' });
    expect(client.health()[0]!.ejected).toBe(0);
    const second = await call(); // replica 1: refused
    expect(second.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'products' });
    expect(client.health()[0]!.ejected).toBe(1);
  });

  it('reports what the service did, not "circuit open", when a retry finds the breaker opened', async () => {
    const s = await stub((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
    });
    client = createUpstreamClient(
      { orders: upstream([s.url], { retries: 2, breaker: { ...breakerConfig, volumeThreshold: 1 } }) },
      http,
    );
    const error = (await client
      .call('orders', { method: 'GET', path: '/orders' }, ctx(2_000))
      .catch((e) => e)) as UpstreamFailure;
    // The first 503 opened the breaker; the retry made no call.
    expect(s.requests).toHaveLength(1);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'orders' });
    expect(error.upstreamStatus).toBe(503);
    // Later calls fail fast as UNAVAILABLE: that is the breaker's own answer.
    const next = (await client
      .call('orders', { method: 'GET', path: '/orders' }, ctx(2_000))
      .catch((e) => e)) as UpstreamFailure;
    expect(next.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', service: 'orders' });
    expect(s.requests).toHaveLength(1);
  });
});
