// The CLI as a child process: it refuses to start with a message naming the problem, starts in
// front of real services, and shuts down cleanly on SIGTERM.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { type CliProcess, exitWithin, runCli, spawnCli } from './helpers/cli.js';
import { waitFor } from './helpers/http.js';
import { testSecret, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

/** Addresses nothing listens on: enough for the config to validate when start-up fails earlier. */
const unusedUrls = {
  USERS_URL: 'http://127.0.0.1:9',
  ORDERS_URL: 'http://127.0.0.1:9',
  NOTIFICATIONS_URL: 'http://127.0.0.1:9',
  PRODUCTS_URL: 'http://127.0.0.1:9',
};
/** Should a broken case start after all, it must not take port 4000 on every interface. */
const safeListen = { HOST: '127.0.0.1', PORT: '0' };

const configs: TempConfig[] = [];
async function configFile(yaml: string): Promise<string> {
  const config = await writeTempConfig(yaml);
  configs.push(config);
  return config.file;
}
afterAll(async () => {
  await Promise.all(configs.map((config) => config.remove()));
});

/** A refusal: exits non-zero, says so on stderr without a stack trace, prints nothing on stdout. */
function expectRefusal(result: { code: number | NodeJS.Signals; stdout: string; stderr: string }) {
  expect(result.code).not.toBe(0);
  expect(typeof result.code).toBe('number');
  expect(result.stderr).toMatch(/^switchboard: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

describe.concurrent('refuses to start, naming the problem', () => {
  it('no upstream URL at all', async () => {
    const result = await runCli([], safeListen);
    expectRefusal(result);
    expect(result.code).toBe(1);
    for (const variable of ['USERS_URL', 'ORDERS_URL', 'NOTIFICATIONS_URL', 'PRODUCTS_URL']) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).toContain('upstreams.users.urls');
  });

  it('one upstream URL missing: only that one is named', async () => {
    const { PRODUCTS_URL: _omitted, ...three } = unusedUrls;
    const result = await runCli([], { ...safeListen, ...three });
    expectRefusal(result);
    expect(result.stderr).toContain('PRODUCTS_URL');
    expect(result.stderr).not.toContain('USERS_URL');
  });

  it('an unknown key in the config file', async () => {
    const file = await configFile('server:\n  prot: 4000\n');
    const result = await runCli(['--config', file], { ...safeListen, ...unusedUrls });
    expectRefusal(result);
    expect(result.stderr).toContain('server.prot');
    expect(result.stderr).toContain('server.port'); // the suggestion
  });

  it('a value of the wrong type', async () => {
    const file = await configFile('server:\n  bodyLimitBytes: lots\n');
    const result = await runCli(['--config', file], { ...safeListen, ...unusedUrls });
    expectRefusal(result);
    expect(result.stderr).toContain('server.bodyLimitBytes');
    expect(result.stderr).toMatch(/integer/);
  });

  it('a config file that does not exist', async () => {
    const missing = '/nonexistent/switchboard/gateway.yaml';
    const result = await runCli(['--config', missing], { ...safeListen, ...unusedUrls });
    expectRefusal(result);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toMatch(/does not exist/);
  });

  it('a config file that is not YAML', async () => {
    const file = await configFile('server:\n  port: [4000\n  host: "x\n');
    const result = await runCli(['--config', file], { ...safeListen, ...unusedUrls });
    expectRefusal(result);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/not valid YAML at line \d+/);
  });

  it('an unknown flag, a positional argument, --config without a file: exit 2 with the usage', async () => {
    for (const args of [['--confg', 'x.yaml'], ['start'], ['--config']]) {
      const result = await runCli(args, { ...safeListen, ...unusedUrls });
      expectRefusal(result);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Usage: switchboard');
    }
    const unknown = await runCli(['--confg', 'x.yaml'], safeListen);
    expect(unknown.stderr).toContain('--confg');
  });

  it('--workers takes 1 to 256 (as server.workers does) or auto: anything else is exit 2', async () => {
    for (const value of ['0', '257', '999', 'two', '1.5']) {
      const result = await runCli(['--workers', value], { ...safeListen, ...unusedUrls });
      expect(result.code, value).toBe(2);
      expect(result.stderr).toContain(
        `--workers must be a whole number from 1 to 256, or auto; got "${value}"`,
      );
    }
  });

  it('--help prints the usage and exits 0', async () => {
    const result = await runCli(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: switchboard \[--config FILE\]/);
    expect(result.stdout).toContain('USERS_URL');
    expect(result.stderr).toBe('');
  });
});

describe('running in front of real services', () => {
  let services: DemoServices;
  let cli: CliProcess | undefined;
  let serviceEnv: Record<string, string>;
  beforeAll(async () => {
    services = await startDemoServices();
    serviceEnv = {
      ...safeListen,
      JWT_SECRET: testSecret,
      USERS_URL: services.urls.users,
      ORDERS_URL: services.urls.orders,
      NOTIFICATIONS_URL: services.urls.notifications,
      PRODUCTS_URL: services.urls.products.join(','),
    };
  });
  afterEach(async () => {
    await cli?.kill();
    cli = undefined;
    services.users.setLatencyMs(0);
    services.clearRecords();
  });
  afterAll(async () => services?.close());

  /** Starts the CLI and resolves with the GraphQL URL it logged. */
  async function start(env: Record<string, string> = serviceEnv): Promise<string> {
    cli = spawnCli([], env);
    const ready = await cli.logLine('switchboard is ready');
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    return ready.url as string;
  }

  const post = (url: string, query: string, token?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });

  it('logs its URL, answers there, and on SIGTERM lets the request in flight finish, then exits 0', async () => {
    const url = await start();
    const products = await post(url, '{ products(ids: ["p1"]) { id } }');
    expect(await products.json()).toEqual({ data: { products: [{ id: 'p1' }] } });
    const ready = await fetch(new URL('/ready', url));
    expect(ready.status).toBe(200);

    services.clearRecords();
    services.users.setLatencyMs(400);
    const pending = post(url, '{ me { id } }', await tokenFor('u2'));
    await waitFor(() => services.requests('users').length > 0, 'the users call');
    cli!.child.kill('SIGTERM');
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { me: { id: 'u2' } } });

    expect(await exitWithin(cli!, 5_000)).toBe(0);
    expect(cli!.stdout).toContain('"msg":"shutting down"');
    // The secret came from the environment; it must not be in any log line.
    expect(cli!.stdout).not.toContain(testSecret);
    expect(cli!.stderr).toBe('');
  });
});
