// The IDE in a real browser (Debian's Chromium): what a newcomer gets from `npm start` at
// GET /graphql. The gateway runs the demo's own config (src/demo/gateway.demo.yaml) in front of
// the demo services, so the prefilled operation and headers are the ones `npm start` serves.
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type WatchedPage, watchedPage } from './helpers/browser.js';
import { clearFaults } from './helpers/faults.js';
import {
  editorText,
  ideReady,
  openPanel,
  runWithCtrlEnter,
  setOperation,
  visibleText,
  waitForResponse,
} from './helpers/ide-page.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';

const demoConfig = fileURLToPath(new URL('../src/demo/gateway.demo.yaml', import.meta.url));
const keys = { web: 'ide-test-web-key', mobile: 'ide-test-mobile-key', partner: 'ide-test-partner-key' };

let stack: Stack;
let browser: Browser;
let open: WatchedPage[] = [];
let u1Name: string;

beforeAll(async () => {
  stack = await startStack({
    configFile: demoConfig,
    inventory: true,
    env: {
      DEMO_TOKEN: await tokenFor('u1', 'ADMIN', '1h'),
      DEMO_WEB_API_KEY: keys.web,
      DEMO_MOBILE_API_KEY: keys.mobile,
      DEMO_PARTNER_API_KEY: keys.partner,
    },
  });
  u1Name = stack.services.data.users.get('u1')!.name;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

afterEach(async () => {
  for (const watched of open) await watched.context.close();
  open = [];
  await clearFaults(stack.services);
  stack.services.clearRecords();
});

async function openIde(path = '/graphql'): Promise<WatchedPage> {
  const watched = await watchedPage(browser);
  open.push(watched);
  await watched.page.goto(`${stack.url}${path}`);
  await ideReady(watched.page);
  return watched;
}

/** The services' view of the last call to `service`: what the gateway sent on the caller's behalf. */
function lastCall(service: 'users' | 'orders' | 'notifications' | 'products') {
  return stack.services.requests(service).at(-1);
}

// A browser does more per test than the suite's default budget allows on a busy 2-core machine.
describe('the IDE at GET /graphql', { timeout: 60_000 }, () => {
  it('loads everything from the gateway, breaks no CSP rule, and loads the schema', async () => {
    const { page, requests, violations, errors } = await openIde();
    // The schema arrived: the explorer lists the base schema's root fields.
    await openPanel(page, 'GraphiQL Explorer');
    await page.locator('.graphiql-explorer-root').getByText('dashboard', { exact: true }).first().waitFor();
    // Monaco starts its GraphQL worker once it has the schema; then fonts and all have loaded.
    const worker = /\/graphql\/ide\/graphql\.worker-\w+\.js$/;
    await expect.poll(() => requests.some((url) => worker.test(url)), { timeout: 20_000 }).toBe(true);
    await page.waitForLoadState('networkidle');
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((url) => !url.startsWith(`${stack.url}/`))).toEqual([]);
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('Ctrl+Enter runs the prefilled dashboard with the demo token and web key', async () => {
    const { page } = await openIde();
    expect(await editorText(page, 'operation.graphql')).toContain('query Dashboard');
    const headers = await editorText(page, 'request-headers.json');
    expect(headers).toContain(`"x-api-key": "${keys.web}"`);
    expect(headers).toMatch(/"authorization": "Bearer ey/);

    await runWithCtrlEnter(page);
    const body = await waitForResponse(page, (b) => b.data !== undefined);
    expect((body.data as { dashboard: { user: { name: string } } }).dashboard.user.name).toBe(u1Name);
    // What the screen shows, not only what the editor holds.
    await expect.poll(() => visibleText(page, '.graphiql-response'), { timeout: 10_000 }).toContain(u1Name);
    // The gateway ran it for u1 as the web client.
    expect(lastCall('users')?.headers).toMatchObject({ 'x-user-id': 'u1', 'x-client-name': 'web' });
  });

  it('the Fan-out panel lists each service called, its batches, and whose errors are whose', async () => {
    const { page } = await openIde();
    // Orders fail: its error is listed under orders, and the rest of the dashboard still comes.
    stack.services.setFault('orders', { kind: 'status', status: 503 });
    await runWithCtrlEnter(page);
    await waitForResponse(page, (b) => b.data !== undefined);
    await openPanel(page, 'Fan-out');
    const panel = page.locator('.sb-fanout');
    await panel.locator('[data-service="users"]').waitFor();
    const block = (service: string) => visibleText(page, `.sb-fanout [data-service="${service}"]`);
    for (const service of ['users', 'orders', 'notifications'])
      expect(await block(service)).toContain('GET /');
    const orders = await block('orders');
    expect(orders).toContain('503');
    expect(orders).toContain('UPSTREAM_ERROR');
    expect(orders).toContain('dashboard.recentOrders');
    // No recommendations service in this stack: its error is attributed to it, with no call.
    expect(await block('recommendations')).toContain('UPSTREAM_UNAVAILABLE');
    expect(await block('users')).toMatch(/batch 1/);
    expect(await visibleText(page, '[data-testid="fanout-summary"]')).toMatch(/Dashboard · HTTP 200/);
  });

  it("?client=mobile opens the mobile schema, and its requests carry the mobile client's identity", async () => {
    const { page } = await openIde('/graphql?client=mobile');
    // The web key would select the web schema whatever the page says: it is left out.
    const headers = await editorText(page, 'request-headers.json');
    expect(headers).not.toContain(keys.web);
    expect(headers).toContain('"apollographql-client-name": "mobile"');

    await openPanel(page, 'Documentation Explorer');
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer').getByText('productCards').first().waitFor();

    await openPanel(page, 'GraphiQL Explorer');
    await page
      .locator('.graphiql-explorer-root')
      .getByText('productCards', { exact: true })
      .first()
      .waitFor();

    await runWithCtrlEnter(page);
    await waitForResponse(page, (b) => b.data !== undefined);
    expect(lastCall('users')?.headers).toMatchObject({ 'x-user-id': 'u1', 'x-client-name': 'mobile' });
  });

  it('the base page does not show the mobile-only field', async () => {
    const { page } = await openIde();
    await openPanel(page, 'Documentation Explorer');
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByText('Query', { exact: true }).first().click();
    await docs.getByText('dashboard', { exact: true }).first().waitFor();
    expect(await visibleText(page, '.graphiql-doc-explorer')).not.toContain('productCards');
  });

  it('a subscription run from the IDE receives a notification posted to the notifications service', async () => {
    const { page, webSockets } = await openIde();
    await setOperation(page, 'subscription { notificationAdded { id kind message } }');
    await runWithCtrlEnter(page);
    // The gateway opens u1's upstream event stream once the subscription is registered.
    await expect
      .poll(() => stack.services.requests('notifications', '/notifications/events').length, {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    const posted = await fetch(`${stack.services.urls.notifications}/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'u1', kind: 'SYSTEM', message: 'Hello from the IDE test' }),
    });
    expect(posted.status).toBe(201);
    const body = await waitForResponse(page, (b) => JSON.stringify(b).includes('Hello from the IDE test'));
    expect(body).toMatchObject({
      data: { notificationAdded: { kind: 'SYSTEM', message: 'Hello from the IDE test' } },
    });
    expect(webSockets).toEqual([`${stack.url.replace('http:', 'ws:')}/graphql`]);
  });
});
