// Graceful shutdown of the CLI as an operator runs it: SIGTERM with requests in flight lets them
// finish while /ready says 503 and new connections are refused; the grace period cuts whatever
// still hangs; a second signal changes nothing.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { type CliProcess, exitWithin, spawnCli } from './helpers/cli.js';
import { dashboardQuery, expectedDashboard } from './helpers/expected-dashboard.js';
import { openConnection } from './helpers/http.js';
import { gatewayEnv, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let services: DemoServices;
let serviceEnv: Record<string, string>;
let cli: CliProcess | undefined;
const configs: TempConfig[] = [];

beforeAll(async () => {
  services = await startDemoServices();
  serviceEnv = gatewayEnv(services);
});
afterEach(async () => {
  await cli?.kill();
  cli = undefined;
  services.setFault('users', null);
  services.users.setLatencyMs(0);
  services.clearRecords();
});
afterAll(async () => {
  await services?.close();
  await Promise.all(configs.map((config) => config.remove()));
});

/** Starts the CLI with `yaml` as its config file; resolves with the gateway's base URL. */
async function startCli(yaml: string): Promise<string> {
  const config = await writeTempConfig(yaml);
  configs.push(config);
  cli = spawnCli(['--config', config.file], serviceEnv);
  const ready = await cli.logLine('switchboard is ready');
  return new URL(ready.url as string).origin;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 5 ms; fails after `timeoutMs` instead of waiting forever. */
async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves with the error code of a fresh TCP connection attempt, or 'connected'. */
function tryConnect(baseUrl: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function graphqlRequest(baseUrl: string, query: string, token: string): Promise<Response> {
  return fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
}

/** The log lines of signals that arrived while already shutting down. */
function alreadyShuttingDown(process: CliProcess): Record<string, unknown>[] {
  return process.stdout
    .split('\n')
    .filter((line) => line.includes('"already shutting down"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A stack trace on stderr means something crashed on the way out. */
function expectNoCrash(process: CliProcess): void {
  expect(process.stderr).not.toMatch(/\n\s+at /);
  expect(process.stderr).toBe('');
  expect(process.stdout).not.toContain('"level":50'); // pino's error level
}

describe('SIGTERM with requests in flight', () => {
  it('finishes all 20 with full data, answers /ready 503 meanwhile, refuses new connections, exits 0 in time', async () => {
    const graceMs = 5_000;
    const baseUrl = await startCli(
      `server:\n  shutdownGraceMs: ${graceMs}\nupstreams:\n  notifications: { timeoutMs: 5000 }\n`,
    );
    const users = Array.from({ length: 20 }, (_, index) => `u${index + 1}`);
    const tokens = await Promise.all(users.map((user) => tokenFor(user)));
    // A keep-alive connection opened before the signal: the only way a probe can reach a
    // draining gateway, since new connections are refused.
    const probe = await openConnection(baseUrl);
    try {
      services.users.setLatencyMs(600);
      let settled = 0;
      const pending = tokens.map((token) =>
        graphqlRequest(baseUrl, dashboardQuery, token).finally(() => {
          settled += 1;
        }),
      );
      // The probe connection carries a request of its own, so it is busy, not idle, at SIGTERM.
      // It waits on notifications, made slow only once the dashboards' own notifications calls
      // are answered, so it is still in flight when the /ready probe is written after the
      // signal, however loaded the machine is.
      await until(
        () => services.requests('notifications').length >= 40,
        "the dashboards' notifications calls",
      );
      services.setFault('notifications', { kind: 'slow', delayMs: 3_000 });
      const probeBody = JSON.stringify({ query: '{ dashboard { unreadCount } }' });
      probe.write(
        `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n` +
          `authorization: Bearer ${await tokenFor('u21')}\r\ncontent-length: ${Buffer.byteLength(probeBody)}\r\n\r\n${probeBody}`,
      );
      // All in flight once the (slow) users service has every dashboard and notifications the probe's.
      await until(() => services.requests('users').length >= 20, '20 requests at the users service');
      await until(
        () => services.requests('notifications').length >= 41,
        "the probe's request at notifications",
      );
      expect(services.requests('users')).toHaveLength(20);

      const signalledAt = performance.now();
      cli!.child.kill('SIGTERM');
      await cli!.logLine('shutting down');
      probe.write('GET /ready HTTP/1.1\r\nhost: gateway\r\nx-request-id: drain-probe\r\n\r\n');

      let refusedWhileDraining = false;
      for (let attempt = 0; attempt < 200 && !refusedWhileDraining; attempt++) {
        const outcome = await tryConnect(baseUrl);
        refusedWhileDraining = outcome === 'ECONNREFUSED' && settled < pending.length;
        if (settled === pending.length) break;
        if (outcome === 'connected') await sleep(5);
      }
      expect(refusedWhileDraining, 'a new connection was refused while requests were in flight').toBe(true);

      const answers = await Promise.all(pending);
      const bodies = await Promise.all(answers.map((answer) => answer.json()));
      for (const [index, answer] of answers.entries()) {
        expect(answer.status).toBe(200);
        expect(bodies[index]).toEqual({
          data: { dashboard: expectedDashboard(services.data, users[index]!) },
        });
      }
      const [carried, ready] = await probe.responses(2);
      expect(carried!.status).toBe(200);
      const u21Unread = (services.data.notificationsByUser.get('u21') ?? []).filter((n) => !n.read).length;
      expect(JSON.parse(carried!.body)).toEqual({ data: { dashboard: { unreadCount: u21Unread } } });
      expect(ready!.status).toBe(503);
      expect(ready!.headers['x-request-id']).toBe('drain-probe');
      expect(JSON.parse(ready!.body)).toEqual({ status: 'unavailable' });

      expect(await exitWithin(cli!, graceMs)).toBe(0);
      expect(performance.now() - signalledAt).toBeLessThan(graceMs);
      // A clean drain, not the grace timer cutting it short.
      expect(cli!.stdout).not.toContain('grace period over');
      // One signal is seen once: nothing else (Apollo's own handlers did) stops and re-raises it.
      expect(alreadyShuttingDown(cli!)).toEqual([]);
      expectNoCrash(cli!);
    } finally {
      probe.destroy();
    }
  });
});

describe('the grace period', () => {
  it('cuts a request that hangs upstream and exits 0 anyway; the client gets an error, not a hang', async () => {
    const graceMs = 500;
    // The upstream timeout and the request deadline are far longer than the grace period, so
    // only the grace timer can end this request.
    const baseUrl = await startCli(
      `server:\n  shutdownGraceMs: ${graceMs}\n  requestTimeoutMs: 30000\n` +
        'upstreams:\n  users: { timeoutMs: 30000, retries: 0 }\n',
    );
    services.setFault('users', { kind: 'hang' });
    const pending = graphqlRequest(baseUrl, '{ me { id } }', await tokenFor('u2')).then(
      async (answer) => ({ status: answer.status, body: await answer.text() }),
      (error: unknown) => error,
    );
    await until(() => services.requests('users').length === 1, 'the request at the users service');

    const signalledAt = performance.now();
    cli!.child.kill('SIGTERM');
    expect(await exitWithin(cli!, graceMs + 3_000)).toBe(0);
    const elapsed = performance.now() - signalledAt;
    expect(elapsed).toBeGreaterThanOrEqual(graceMs - 50); // it did wait for the request
    expect(cli!.stdout).toContain('grace period over');

    const outcome = await Promise.race([pending, sleep(3_000).then(() => 'still hanging')]);
    expect(outcome).toBeInstanceOf(Error);
    expectNoCrash(cli!);
  });
});

describe('more signals during the drain', () => {
  it('SIGINT then another SIGTERM: no crash, the request in flight still finishes, exit 0', async () => {
    const baseUrl = await startCli('server:\n  shutdownGraceMs: 5000\n');
    services.users.setLatencyMs(500);
    const pending = graphqlRequest(baseUrl, '{ me { id } }', await tokenFor('u3'));
    await until(() => services.requests('users').length === 1, 'the request at the users service');

    cli!.child.kill('SIGTERM');
    await cli!.logLine('shutting down');
    cli!.child.kill('SIGINT');
    await until(() => alreadyShuttingDown(cli!).length === 1, 'the SIGINT to be noticed');
    cli!.child.kill('SIGTERM');
    await until(() => alreadyShuttingDown(cli!).length === 2, 'the second SIGTERM to be noticed');
    expect(alreadyShuttingDown(cli!).map((line) => line.signal)).toEqual(['SIGINT', 'SIGTERM']);

    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { me: { id: 'u3' } } });
    expect(await exitWithin(cli!, 5_000)).toBe(0);
    expect(cli!.stdout).not.toContain('grace period over');
    expectNoCrash(cli!);
  });
});
