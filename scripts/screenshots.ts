// `npm run screenshots`: the pictures in docs/ide.md and examples/web-dashboard/README.md, taken
// in Debian's Chromium from the demo as `npm start` and `npm run example` serve it (services on
// free ports, the demo's own gateway config, the gRPC recommendations service included).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startExampleServer } from '../examples/web-dashboard/server.js';
import { startRecommendationsService } from '../src/demo/recommendations-service.js';
import { launchChromium, watchedPage } from '../test/helpers/browser.js';
import {
  ideReady,
  openPanel,
  runWithCtrlEnter,
  setOperation,
  waitForResponse,
} from '../test/helpers/ide-page.js';
import { startStack, tokenFor } from '../test/helpers/stack.js';

const out = fileURLToPath(new URL('../docs/images/', import.meta.url));
const webKey = 'screenshots-web-key-0123456789';
await mkdir(out, { recursive: true });

const recommendations = await startRecommendationsService(0);
const stack = await startStack({
  configFile: fileURLToPath(new URL('../src/demo/gateway.demo.yaml', import.meta.url)),
  inventory: true,
  env: {
    RECOMMENDATIONS_URL: recommendations.address,
    DEMO_TOKEN: await tokenFor('u1', 'ADMIN', '1h'),
    DEMO_WEB_API_KEY: webKey,
    DEMO_MOBILE_API_KEY: 'screenshots-mobile-key-0123456789',
    DEMO_PARTNER_API_KEY: 'screenshots-partner-key-0123456789',
  },
});
const browser = await launchChromium();
const viewport = { width: 1440, height: 860 };
const shot = async (page: import('playwright-core').Page, name: string) => {
  await page.screenshot({ path: `${out}${name}.png` });
  process.stdout.write(`docs/images/${name}.png\n`);
};

try {
  // The dashboard, one keystroke away, and its fan-out.
  const ide = await watchedPage(browser, viewport);
  await ide.page.goto(`${stack.url}/graphql`);
  await ideReady(ide.page);
  await runWithCtrlEnter(ide.page);
  await waitForResponse(ide.page, (body) => body.data !== undefined);
  await ide.page.waitForTimeout(500);
  await shot(ide.page, 'ide-dashboard');
  await openPanel(ide.page, 'Fan-out');
  await ide.page.locator('.sb-fanout [data-service="products"]').waitFor();
  await shot(ide.page, 'ide-fanout');

  // A failing service: its error sits under it in the panel.
  stack.services.setFault('orders', { kind: 'status', status: 503 });
  await runWithCtrlEnter(ide.page);
  await ide.page.locator('.sb-fanout [data-service="orders"] .sb-errors').waitFor();
  await shot(ide.page, 'ide-fanout-orders-down');
  stack.services.setFault('orders', null);

  // A subscription, and a notification posted to the service.
  await setOperation(ide.page, 'subscription { notificationAdded { id kind message } }');
  await runWithCtrlEnter(ide.page);
  for (
    let tries = 0;
    stack.services.requests('notifications', '/notifications/events').length === 0;
    tries++
  ) {
    if (tries > 200) throw new Error('the subscription never reached the notifications service');
    await ide.page.waitForTimeout(50);
  }
  await fetch(`${stack.services.urls.notifications}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'u1', kind: 'SYSTEM', message: 'Deploy finished: v2.4.1 is live.' }),
  });
  await waitForResponse(ide.page, (body) => JSON.stringify(body).includes('Deploy finished'));
  await shot(ide.page, 'ide-subscription');
  await ide.context.close();

  // The mobile client's schema: its own fields in the docs.
  const mobile = await watchedPage(browser, viewport);
  await mobile.page.goto(`${stack.url}/graphql?client=mobile`);
  await ideReady(mobile.page);
  await openPanel(mobile.page, 'Documentation Explorer');
  await mobile.page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
  await mobile.page.locator('.graphiql-doc-explorer').getByText('productCards').first().waitFor();
  await shot(mobile.page, 'ide-mobile-docs');
  await mobile.context.close();

  // The example frontend, whole and with orders down.
  const example = await startExampleServer({
    gatewayUrl: stack.url,
    token: await tokenFor('u2'),
    apiKey: webKey,
  });
  const page = await watchedPage(browser, { width: 900, height: 860 });
  await page.page.goto(example.url);
  await page.page.locator('main[aria-busy="false"]').waitFor();
  await shot(page.page, 'example-dashboard');
  stack.services.setFault('orders', { kind: 'status', status: 503 });
  await page.page.click('#reload');
  await page.page.getByTestId('unavailable').waitFor();
  await shot(page.page, 'example-orders-down');
  await page.context.close();
  await example.close();
} finally {
  await browser.close();
  await stack.close();
  await recommendations.close();
}
