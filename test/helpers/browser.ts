// Debian's Chromium driven by playwright-core: a test tool's own browser download cannot work on
// these machines (no internet), so the tests and `npm run screenshots` use the system's browser
// with exactly these flags. `.ci/run` installs it when it is missing.
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Headless, and quiet: no background requests of the browser's own to any other host. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Debian's Chromium; says how to install it when it is not there. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: install Debian's chromium (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/** A page and everything it did: each request's URL, each WebSocket, and each CSP refusal. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  requests: string[];
  webSockets: string[];
  /** Content-security-policy violations, from the page's events and the console. */
  violations: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
}

/** Opens a fresh context (its own storage) and a page that records what it does. */
export async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 800 },
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const watched: WatchedPage = { context, page, requests: [], webSockets: [], violations: [], errors: [] };
  // Playwright injects this through the DevTools protocol, which the page's CSP does not govern.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      console.error('csp-violation ' + event.effectiveDirective + ' ' + event.blockedURI + ' ' + event.sourceFile));`,
  });
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('websocket', (socket) => watched.webSockets.push(socket.url()));
  page.on('pageerror', (error) => watched.errors.push(error.message));
  page.on('console', (message) => {
    const text = message.text();
    if (text.startsWith('csp-violation') || text.includes('Content Security Policy'))
      watched.violations.push(text);
  });
  return watched;
}
