// examples/web-dashboard in Debian's Chromium: a frontend team's page renders the dashboard
// through the gateway in one request, and when a service is down renders the rest and says why.
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleServer, startExampleServer } from '../examples/web-dashboard/server.js';
import { launchChromium, type WatchedPage, watchedPage } from './helpers/browser.js';
import { clearFaults } from './helpers/faults.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const webKey = 'example-test-web-key-0123';

let stack: Stack;
let config: TempConfig;
let example: ExampleServer;
let browser: Browser;
let open: WatchedPage | undefined;

beforeAll(async () => {
  config = await writeTempConfig(`auth:\n  apiKeys:\n    - { key: "${webKey}", client: web, tier: free }\n`);
  stack = await startStack({ configFile: config.file });
  example = await startExampleServer({ gatewayUrl: stack.url, token: await tokenFor('u2'), apiKey: webKey });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await example?.close();
  await stack?.close();
  await config?.remove();
});

afterEach(async () => {
  await open?.context.close();
  open = undefined;
  await clearFaults(stack.services);
  stack.services.clearRecords();
});

async function openExample(): Promise<WatchedPage> {
  open = await watchedPage(browser);
  await open.page.goto(example.url);
  await open.page.locator('main[aria-busy="false"]').waitFor({ timeout: 30_000 });
  return open;
}

describe('examples/web-dashboard', { timeout: 60_000 }, () => {
  it("renders u2's dashboard from one request through the gateway", async () => {
    const { page, requests, violations, errors } = await openExample();
    const data = stack.services.data;
    expect(await page.getByTestId('user-name').textContent()).toBe(`Hello, ${data.users.get('u2')!.name}`);
    const orders = data.ordersByUser.get('u2')!.slice(0, 5);
    expect(await page.getByTestId('order').count()).toBe(orders.length);
    expect(await page.getByTestId('order').first().textContent()).toContain(orders[0]!.id);
    expect(await page.getByTestId('notification').count()).toBe(5);
    expect(await page.getByTestId('unavailable').count()).toBe(0);
    // One GraphQL request; the page, its script and its stylesheet; nothing from elsewhere.
    expect(requests.filter((url) => url.endsWith('/graphql'))).toHaveLength(1);
    expect(requests.filter((url) => !url.startsWith(`${example.url}/`))).toEqual([]);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    // The gateway ran it as u2 through the web client's key.
    expect(stack.services.requests('orders').at(-1)?.headers).toMatchObject({
      'x-user-id': 'u2',
      'x-client-name': 'web',
    });
  });

  it('with orders down, renders the rest and says in the orders panel why', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 503 });
    const { page } = await openExample();
    expect(await page.getByTestId('user-name').textContent()).toContain(
      stack.services.data.users.get('u2')!.name,
    );
    expect(await page.getByTestId('notification').count()).toBe(5);
    const orders = await page.getByTestId('orders').textContent();
    expect(orders).toContain('Orders are unavailable right now.');
    expect(orders).toContain('UPSTREAM_ERROR from the orders service');
    expect(await page.getByTestId('order').count()).toBe(0);
  });
});
