// `--workers N` as an operator runs it: the real CLI forking real workers on one port, in front of
// the demo services, with a private redis-server holding the shared limits.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { cgroupQuota, usableCpus } from '../src/cluster/cpus.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { type CliProcess, spawnCli } from './helpers/cli.js';
import { metricValue, rawRequest } from './helpers/http.js';
import { gatewayEnv, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

describe('--workers auto: the CPUs this process may use', () => {
  it('follows the cgroup v2 quota, rounded up, capped by the scheduler', () => {
    expect(usableCpus({ cpuMax: '200000 100000\n', parallelism: 8 })).toBe(2);
    expect(usableCpus({ cpuMax: '150000 100000', parallelism: 8 })).toBe(2);
    expect(usableCpus({ cpuMax: '50000 100000', parallelism: 8 })).toBe(1);
    expect(usableCpus({ cpuMax: '800000 100000', parallelism: 2 })).toBe(2);
    expect(usableCpus({ cpuMax: 'max 100000', parallelism: 6 })).toBe(6);
  });
  it('follows the cgroup v1 quota, and ignores -1 (no quota)', () => {
    expect(usableCpus({ cfsQuotaUs: '300000', cfsPeriodUs: '100000', parallelism: 16 })).toBe(3);
    expect(usableCpus({ cfsQuotaUs: '-1', cfsPeriodUs: '100000', parallelism: 4 })).toBe(4);
  });
  it('falls back to the scheduler’s count on files it cannot read', () => {
    expect(usableCpus({ parallelism: 3 })).toBe(3);
    expect(usableCpus({ cpuMax: 'garbage', parallelism: 3 })).toBe(3);
    expect(cgroupQuota({ cpuMax: '0 100000' })).toBeUndefined();
    expect(usableCpus({ parallelism: 0 })).toBe(1);
  });
});

describe('--workers 2', { timeout: 60_000 }, () => {
  let services: DemoServices;
  const configs: TempConfig[] = [];
  let cli: CliProcess | undefined;
  const redisUrl = inject('redisUrl');

  beforeAll(async () => {
    services = await startDemoServices({ productsCacheControl: 'no-store' });
  });
  afterEach(async () => {
    await cli?.kill();
    cli = undefined;
    services.users.setLatencyMs(0);
  });
  afterAll(async () => {
    await services?.close();
    await Promise.all(configs.map((config) => config.remove()));
  });

  async function start(
    yaml: string,
    env: Record<string, string> = {},
  ): Promise<{ url: string; pids: number[] }> {
    const config = await writeTempConfig(yaml);
    configs.push(config);
    cli = spawnCli(['--config', config.file, '--workers', '2'], { ...gatewayEnv(services), ...env });
    const pids = await readyPids(cli, 2);
    const ready = await cli.logLine('switchboard is ready');
    return { url: new URL(ready.url as string).origin, pids };
  }

  it('refuses to start without Redis unless rateLimits.store: memory is explicit', async () => {
    const config = await writeTempConfig('log: { level: info }\n');
    configs.push(config);
    cli = spawnCli(['--config', config.file, '--workers', '2'], gatewayEnv(services));
    expect(await cli.exited).toBe(1);
    expect(cli.stderr).toMatch(
      /2 workers need shared state: set redis\.url \(REDIS_URL\).*rateLimits\.store: memory/,
    );

    const { url } = await start('rateLimits: { store: memory }\n');
    expect((await rawRequest(url, { path: '/health' })).status).toBe(200);
    const warning = await cli!.logLine(
      'rateLimits.store is memory with several workers: each worker counts its own limits, caches and persisted queries',
    );
    expect(warning.workers).toBe(2);
  });

  it('keeps a tier limit exact across both workers (Redis), and both serve', async () => {
    const { url, pids } = await start(
      'rateLimits:\n  tiers:\n    anonymous: { requests: 12, windowSeconds: 60 }\nlog: { level: info }\n',
      { REDIS_URL: redisUrl },
    );
    const token = await tokenFor(`w-${randomUUID().slice(0, 8)}`);
    const statuses: number[] = [];
    // A fresh connection per request: node:cluster spreads connections, not requests.
    for (let i = 0; i < 30; i += 1) {
      const answer = await rawRequest(url, {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ products(ids: ["p1"]) { id } }' }),
      });
      statuses.push(answer.status);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(12);
    expect(statuses.filter((status) => status === 429)).toHaveLength(18);
    const servedBy = new Set(
      cli!.stdout
        .split('\n')
        .filter((line) => line.includes('"graphql request"'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect([...servedBy].sort()).toEqual([...pids].sort());
  });

  it('answers /metrics for both workers together', async () => {
    const { url } = await start('log: { level: info }\n', { REDIS_URL: redisUrl });
    for (let i = 0; i < 20; i += 1) await rawRequest(url, { path: '/health' });
    const scrape = await rawRequest(url, { path: '/metrics' });
    expect(scrape.headers['x-switchboard-metrics-scope']).toBe('cluster');
    // Both workers' counters summed: every /health answered, whichever worker took it.
    expect(
      metricValue(scrape.text, 'switchboard_http_requests_total', { route: '/health', status: '200' }),
    ).toBe(20);
  });

  it('replaces a killed worker while the other one serves', async () => {
    const { url, pids } = await start('log: { level: info }\n', { REDIS_URL: redisUrl });
    process.kill(pids[0]!, 'SIGKILL');
    const died = await cli!.logLine('worker died; replacing it');
    expect(died).toMatchObject({ pid: pids[0], signal: 'SIGKILL' });
    // Once the primary knows, fresh connections all land on the live worker.
    for (let i = 0; i < 10; i += 1) expect((await rawRequest(url, { path: '/health' })).status).toBe(200);
    const all = await readyPids(cli!, 3);
    const replacement = all.find((pid) => !pids.includes(pid))!;
    expect(replacement).toBeGreaterThan(0);
    for (let i = 0; i < 10; i += 1) expect((await rawRequest(url, { path: '/health' })).status).toBe(200);
  });

  it('passes SIGHUP to every worker: each reloads the config', async () => {
    const { url } = await start('log: { level: info }\n', { REDIS_URL: redisUrl });
    const file = configs.at(-1)!.file;
    await writeFile(
      file,
      'log: { level: info }\nrateLimits:\n  tiers:\n    anonymous: { requests: 4321, windowSeconds: 60 }\n',
    );
    cli!.child.kill('SIGHUP');
    const deadline = Date.now() + 20_000;
    const reloaded = () =>
      cli!.stdout.split('\n').filter((line) => line.includes('"configuration reloaded"'));
    while (reloaded().length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(new Set(reloaded().map((line) => (JSON.parse(line) as { pid: number }).pid)).size).toBe(2);
    for (let i = 0; i < 4; i += 1) {
      const answer = await rawRequest(url, {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ products(ids: ["p1"]) { id } }' }),
      });
      expect(answer.headers['x-ratelimit-limit']).toBe('4321');
    }
  });

  it('drains both workers on SIGTERM: requests in flight all succeed, and it exits 0', async () => {
    const { url } = await start('log: { level: info }\n', { REDIS_URL: redisUrl });
    services.users.setLatencyMs(400);
    const token = await tokenFor('u1', 'ADMIN');
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      rawRequest(url, {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `{ user(id: "u${i + 1}") { id } }` }),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    cli!.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 200));
    expect(answers.filter((answer) => answer.text.includes('"errors"')).map((answer) => answer.text)).toEqual(
      [],
    );
    expect(await cli!.exited).toBe(0);
  });
});

/** Waits until `count` distinct workers have said they are ready; their pids. */
async function readyPids(cli: CliProcess, count: number, timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = cli.stdout
      .split('\n')
      .filter((line) => line.includes('"switchboard is ready"'))
      .map((line) => (JSON.parse(line) as { pid: number }).pid);
    if (pids.length >= count) return pids;
    if (Date.now() > deadline)
      throw new Error(`only ${pids.length} of ${count} workers became ready:\n${cli.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
