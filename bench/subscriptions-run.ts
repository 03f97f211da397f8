// The subscriptions scenario: G with 5,000 open subscriptions (5 per user, one graphql-ws
// connection per user, 1,000 users) over the events stub (stubs/events.ts). Measured:
// - memory per idle subscription: G's heap (after forced GCs) and RSS before any connection and
//   with every subscription open and idle, divided by the subscriptions (connections and the
//   1,000 upstream streams included: that is what a subscription costs as deployed);
// - delivery latency: the stub writes `emitted:<epoch ms>` into each event at 1,000 events a
//   second spread over the users; each of the user's 5 subscriptions receives it, and the client
//   subtracts. The clients run in this process, on the same 2 CPUs: the latency includes them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { Build } from './build.js';
import { benchSecret } from './dashboard.js';
import { readHeap } from './heap-check.js';
import { baseEnv, type Child, spawnNode, waitForHttp, waitForReady } from './processes.js';
import { freePort, type Target } from './targets.js';

export interface SubscriptionsResult {
  users: number;
  subscriptionsPerUser: number;
  subscriptions: number;
  /** Upstream event streams G held (one per user). */
  upstreamStreams: number;
  openSeconds: number;
  idle: { heapBefore: number; heapAfter: number; rssBefore: number; rssAfter: number };
  heapBytesPerSubscription: number;
  rssBytesPerSubscription: number;
  load: {
    eventsPerSecond: number;
    seconds: number;
    emitted: number;
    expectedDeliveries: number;
    delivered: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
}

export interface SubscriptionsOptions {
  build: Build;
  dir: string;
  users: number;
  perUser: number;
  eventsPerSecond: number;
  seconds: number;
  started: Child[];
  log: (line: string) => void;
}

const query = 'subscription { notificationAdded { id message } }';

/** Runs the scenario; every process it starts is registered in `started` for the caller to stop. */
export async function runSubscriptions(options: SubscriptionsOptions): Promise<SubscriptionsResult> {
  const { build, log } = options;
  const stub = spawnNode('events', build.file('bench/stubs/events.ts'), { env: baseEnv() });
  options.started.push(stub);
  const { url: stubUrl } = (await waitForReady(stub)) as { url: string };
  const gateway = await startGateway(options, stubUrl);
  const before = await readHeap(gateway);

  const tokens = await Promise.all(
    Array.from({ length: options.users }, (_, i) =>
      new SignJWT({ role: 'USER' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`u${i + 1}`)
        .setExpirationTime('2h')
        .sign(new TextEncoder().encode(benchSecret)),
    ),
  );
  const latencies: number[] = [];
  let delivered = 0;
  let errors = 0;
  const wsUrl = gateway.url.replace(/^http/, 'ws');
  const opening = performance.now();
  const clients = tokens.map((token) =>
    createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      retryAttempts: 0,
    }),
  );
  for (const client of clients) {
    for (let i = 0; i < options.perUser; i += 1) {
      client.subscribe<{ notificationAdded: { message: string } }>(
        { query },
        {
          next: (result) => {
            const message = result.data?.notificationAdded.message;
            if (!message) return;
            latencies.push(
              performance.timeOrigin + performance.now() - Number(message.slice('emitted:'.length)),
            );
            delivered += 1;
          },
          error: (error) => {
            errors += 1;
            if (errors === 1) log(`  subscriptions: first error: ${JSON.stringify(error).slice(0, 300)}`);
          },
          complete: () => {},
        },
      );
    }
  }
  const streams = async () =>
    ((await (await fetch(`${stubUrl}/_bench/streams`)).json()) as { open: number }).open;
  const deadline = Date.now() + 60_000;
  while ((await streams()) < options.users) {
    if (Date.now() > deadline || errors > 0) {
      throw new Error(
        `subscriptions did not all open: ${await streams()} of ${options.users} upstream streams, ${errors} errors; G said:\n${gateway.child.stderrTail.join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const openSeconds = (performance.now() - opening) / 1000;
  log(
    `  subscriptions: ${options.users * options.perUser} open over ${options.users} connections in ${openSeconds.toFixed(1)} s`,
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = await readHeap(gateway);

  log(`  subscriptions: ${options.eventsPerSecond} events/s for ${options.seconds} s`);
  const emitted = (
    (await (
      await fetch(`${stubUrl}/_bench/emit?rate=${options.eventsPerSecond}&seconds=${options.seconds}`, {
        method: 'POST',
      })
    ).json()) as { emitted: number }
  ).emitted;
  const expectedDeliveries = emitted * options.perUser;
  const settle = Date.now() + 10_000;
  while (delivered < expectedDeliveries && Date.now() < settle)
    await new Promise((resolve) => setTimeout(resolve, 50));
  await Promise.all(clients.map((client) => client.dispose()));

  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const subscriptions = options.users * options.perUser;
  const n = (megabytes: number) => megabytes * 2 ** 20;
  return {
    users: options.users,
    subscriptionsPerUser: options.perUser,
    subscriptions,
    upstreamStreams: options.users,
    openSeconds,
    idle: {
      heapBefore: n(before.heapUsedMb),
      heapAfter: n(after.heapUsedMb),
      rssBefore: n(before.rssMb),
      rssAfter: n(after.rssMb),
    },
    heapBytesPerSubscription: (n(after.heapUsedMb) - n(before.heapUsedMb)) / subscriptions,
    rssBytesPerSubscription: (n(after.rssMb) - n(before.rssMb)) / subscriptions,
    load: {
      eventsPerSecond: options.eventsPerSecond,
      seconds: options.seconds,
      emitted,
      expectedDeliveries,
      delivered,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
    },
  };
}

/** G over the stub, one process, with --expose-gc and the preload that reports its heap. */
async function startGateway(options: SubscriptionsOptions, stubUrl: string): Promise<Target> {
  const port = await freePort();
  const configFile = join(options.dir, 'gateway-subscriptions.json');
  const config = {
    // Every connection comes from this one load generator: no per-address cap.
    server: { host: '127.0.0.1', port, maxConnectionsPerClient: 0 },
    upstreams: Object.fromEntries(
      ['users', 'orders', 'notifications', 'products'].map((name) => [name, { urls: [stubUrl] }]),
    ),
    auth: { jwt: { secret: benchSecret } },
    rateLimits: { store: 'memory', tiers: { anonymous: { requests: 1_000_000, windowSeconds: 60 } } },
    log: { level: 'warn' },
  };
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawnNode('G', options.build.file('src/cli.ts'), {
    nodeFlags: ['--expose-gc'],
    preloads: [options.build.file('bench/gateway-preload.ts')],
    args: ['--config', configFile],
    env: baseEnv(),
  });
  options.started.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${base}/ready`);
  return { name: 'G', url: `${base}/graphql`, child };
}
