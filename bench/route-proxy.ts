// `npm run bench:route`: a proxied REST route against a direct call. G is Switchboard (compiled,
// src/cli.ts) with one route, `GET /api/products?ids=…` → the products replicas' `/products`; D
// is the same request sent straight to a products replica of the bench's stubs (bench/stubs/);
// R is a raw node:http + undici proxy doing only the rewrite (raw-proxy-server.ts), the floor for
// any Node proxy. Rounds interleave D, R and G, every answer is checked (status 200, the exact
// bytes D answered for those ids), and the result is G's throughput as a share of D's (the
// issue's target: ≥ 0.6) and of R's.
//
//   npm run bench:route                 3 rounds, 3 s warm-up + 10 s each, 50 connections
//   npm run bench:route -- --quick      1 round, 2 s + 5 s (a smoke test, ~20 s)
//   npm run bench:route -- --profile    the same with G under `node --cpu-prof`: its top frames
//
// Flags (after `--`): --rounds N  --warmup S  --duration S  --connections N  --quick  --profile
// Nothing is written: the table goes to stdout.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon, { type Request } from 'autocannon';
import { buildForBench } from './build.js';
import {
  baseEnv,
  cpuTicks,
  killAllNow,
  spawnNode,
  stop,
  stopAll,
  ticksPerSecond,
  waitForHttp,
  waitForReady,
} from './processes.js';
import { profileTable, summariseProfile } from './profile.js';
import type { UpstreamUrls } from './scenarios.js';
import { freePort } from './targets.js';

const log = (line: string) => process.stderr.write(`${line}\n`);
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
  },
});
const quick = values.quick === true;
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const warmupSeconds = Number(values.warmup ?? (quick ? 2 : 3));
const durationSeconds = Number(values.duration ?? (quick ? 5 : 10));
const connections = Number(values.connections);

// 200 different batches of 5 ids (p1…p500): what a catalogue page asks, never the same URL twice in a row.
const batches = Array.from({ length: 200 }, (_, i) =>
  Array.from({ length: 5 }, (_, k) => `p${((i * 37 + k * 101) % 500) + 1}`).join(','),
);
const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-route-'));
process.on('exit', killAllNow);

interface Run {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  cpuUsPerRequest: number;
}

/** One autocannon run over every batch; each answer must be D's bytes for its ids. */
function load(base: string, prefix: string, expected: string[], seconds: number, pid: number): Promise<Run> {
  let failures = 0;
  const requests: Request[] = batches.map((ids, i) => ({
    method: 'GET',
    path: `${prefix}?ids=${ids}`,
    onResponse: (status, body) => {
      if (status !== 200 || body !== expected[i]) failures++;
    },
  }));
  const ticks = cpuTicks(pid);
  return new Promise((resolve, reject) => {
    autocannon({ url: base, connections, duration: seconds, requests }, (error, result) => {
      if (error) return reject(error);
      const total = result.requests.total;
      resolve({
        requestsPerSecond: total / result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failures: failures + result.errors + result.timeouts,
        cpuUsPerRequest: (((cpuTicks(pid) - ticks) / ticksPerSecond) * 1e6) / Math.max(1, total),
      });
    });
  });
}

try {
  const build = buildForBench(repo, dir, log);
  const stubs = spawnNode('upstream stubs', build.file('bench/stubs/main.ts'), {
    env: baseEnv({ BENCH_USERS: '1000', BENCH_PRODUCTS_CACHE_CONTROL: 'no-store' }),
  });
  const { urls } = (await waitForReady(stubs)) as { urls: UpstreamUrls };
  const port = await freePort();
  const configFile = join(dir, 'gateway-route.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      server: { host: '127.0.0.1', port },
      upstreams: {
        users: { urls: [urls.users] },
        orders: { urls: [urls.orders] },
        notifications: { urls: [urls.notifications] },
        products: { urls: urls.products },
      },
      routes: [{ path: '/api/products', upstream: 'products', rewrite: '/products' }],
      // The tier check stays on the path (it always is); it never refuses here.
      rateLimits: { store: 'memory', tiers: { anonymous: { requests: 1_000_000_000, windowSeconds: 60 } } },
      log: { level: 'warn' },
    }),
  );
  const gateway = spawnNode('G', build.file('src/cli.ts'), {
    args: ['--config', configFile],
    env: baseEnv(),
    nodeFlags: values.profile ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'] : [],
  });
  const gatewayUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(gateway, `${gatewayUrl}/ready`);
  const raw = spawnNode('R', build.file('bench/raw-proxy-server.ts'), {
    env: baseEnv({ BENCH_UPSTREAMS: JSON.stringify(urls) }),
  });
  const { url: rawUrl } = (await waitForReady(raw)) as { url: string };
  const direct = urls.products[0]!;
  const targets = [
    { name: 'D', title: 'straight to a products stub', base: direct, prefix: '/products', pid: stubs.pid },
    { name: 'R', title: 'raw node:http + undici proxy', base: rawUrl, prefix: '/api/products', pid: raw.pid },
    {
      name: 'G',
      title: 'Switchboard, one route',
      base: gatewayUrl,
      prefix: '/api/products',
      pid: gateway.pid,
    },
  ] as const;

  // The gate: R and G answer every batch with exactly the bytes D does.
  const expected = await Promise.all(
    batches.map(async (ids) => (await fetch(`${direct}/products?ids=${ids}`)).text()),
  );
  for (const { name, base, prefix } of targets) {
    for (const [i, ids] of batches.entries()) {
      const answer = await fetch(`${base}${prefix}?ids=${ids}`);
      const body = await answer.text();
      if (answer.status !== 200 || body !== expected[i])
        throw new Error(`${name} answered ${ids} otherwise than D`);
    }
  }
  log(
    `bench:route: gate passed (${batches.length} batches); ${rounds} round(s), ${warmupSeconds} s + ${durationSeconds} s, ${connections} connections`,
  );

  const runs: Record<'D' | 'R' | 'G', Run[]> = { D: [], R: [], G: [] };
  // G's last measured run: the profile's samples outside it (start-up, the gate) are left out.
  let measuredG = { startMs: 0, endMs: 0 };
  for (let round = 1; round <= rounds; round++) {
    for (const { name, base, prefix, pid } of targets) {
      await load(base, prefix, expected, warmupSeconds, pid);
      const startMs = performance.now();
      const run = await load(base, prefix, expected, durationSeconds, pid);
      if (name === 'G') measuredG = { startMs, endMs: performance.now() };
      runs[name].push(run);
      log(
        `  round ${round} ${name}: ${Math.round(run.requestsPerSecond)} req/s, p99 ${run.p99} ms, ${run.failures} failures`,
      );
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const rate = (name: keyof typeof runs) => median(runs[name].map((r) => r.requestsPerSecond));
  const row = ({ name, title, prefix }: (typeof targets)[number]) => {
    const list = runs[name];
    const cells = [
      name,
      `${title}: GET ${prefix}?ids=`,
      Math.round(rate(name)),
      median(list.map((r) => r.p50)),
      median(list.map((r) => r.p99)),
      Math.round(median(list.map((r) => r.cpuUsPerRequest))),
      list.reduce((sum, r) => sum + r.failures, 0),
    ];
    return `| ${cells.join(' | ')} |`;
  };
  const ratio = rate('G') / rate('D');
  process.stdout.write(
    [
      '| target | what | req/s | p50 ms | p99 ms | CPU µs/req (its process) | failures |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...targets.map(row),
      '',
      `G/D throughput: ${ratio.toFixed(2)} (target ≥ 0.60: ${ratio >= 0.6 ? 'hit' : 'missed'}); ` +
        `R/D ${(rate('R') / rate('D')).toFixed(2)}; G/R ${(rate('G') / rate('R')).toFixed(2)}`,
      '',
    ].join('\n'),
  );
  if (Object.values(runs).some((list) => list.some((r) => r.failures > 0))) process.exitCode = 1;
  if (values.profile) {
    // The profile is written when G exits.
    await stop(gateway, 20_000);
    const exitMs = performance.now();
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    const window = { fromMsBeforeEnd: exitMs - measuredG.startMs, toMsBeforeEnd: exitMs - measuredG.endMs };
    if (file) process.stdout.write(`\n${profileTable(summariseProfile(join(dir, file), window, 30))}\n`);
  }
} catch (error) {
  log(`bench:route: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
