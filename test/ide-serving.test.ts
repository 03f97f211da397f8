// How the gateway serves the IDE over HTTP: the page and its headers, the bundle's files and
// their caching, what the page is given per client, bad input, Apollo's page on request, and no
// IDE in production. The browser's view is test/ide.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { registerIde } from '../src/ide/index.js';
import { createLogger } from '../src/logger.js';
import { type GatewayInstance, startGateway } from './helpers/gateway.js';
import { gatewayEnv, type Stack, startStack } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const webKey = 'serving-test-web-key';
const mobileKey = 'serving-test-mobile-key';
const hostileQuery = '{ __typename } # </script><script>alert(1)</script><!--';
const policy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; " +
  "connect-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

let stack: Stack;
let config: TempConfig;
const others: GatewayInstance[] = [];

beforeAll(async () => {
  config = await writeTempConfig(
    `auth:\n  apiKeys:\n    - { key: "${webKey}", client: web, tier: free }\n    - { key: "${mobileKey}", client: mobile, tier: free }\n` +
      `server:\n  sandboxDefaults:\n    query: ${JSON.stringify(hostileQuery)}\n` +
      `    headers: { authorization: "Bearer t", x-api-key: "${webKey}" }\n`,
  );
  stack = await startStack({ configFile: config.file });
});
afterAll(async () => {
  for (const gateway of others) await gateway.close();
  await stack?.close();
  await config?.remove();
});

async function gatewayWith(env: Record<string, string>, yaml = ''): Promise<GatewayInstance> {
  const file = yaml ? await writeTempConfig(yaml) : undefined;
  const gateway = await startGateway(stack.services, { env, configFile: file?.file });
  others.push({
    ...gateway,
    async close() {
      await gateway.close();
      await file?.remove();
    },
  });
  return gateway;
}

const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** The page's settings block, as the browser side reads it. */
function settingsOf(page: string): Record<string, unknown> {
  const block = /<script type="application\/json" id="ide-settings">(.*?)<\/script>/s.exec(page)?.[1];
  if (block === undefined) throw new Error('no settings block in the page');
  return JSON.parse(block) as Record<string, unknown>;
}

function assetsOf(page: string): string[] {
  return [...page.matchAll(/(?:src|href)="(\/graphql\/ide\/[^"]+)"/g)].map((match) => match[1]!);
}

describe('the IDE page', () => {
  it('answers a browser with the page, a policy of self only, and no cache', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(policy);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const page = await response.text();
    // Nothing but the gateway's own files, and no inline script or style.
    expect(page).not.toMatch(/https?:\/\//);
    expect(page).not.toMatch(/<script>|<style|style=/);
    expect(assetsOf(page)).toHaveLength(2);
  });

  it('carries the configured defaults, escaped so no string of the config can end the block', async () => {
    const page = await (await fetch(`${stack.url}/graphql`, { headers: html })).text();
    expect(page).not.toContain('</script><script>alert(1)');
    expect(settingsOf(page)).toEqual({
      endpoint: '/graphql',
      query: hostileQuery,
      headers: { authorization: 'Bearer t', 'x-api-key': webKey },
      keyLeftOut: false,
    });
  });

  it("on ?client=mobile leaves out the default key of another client, keeps a key of that client's", async () => {
    const mobile = await (await fetch(`${stack.url}/graphql?client=mobile`, { headers: html })).text();
    expect(settingsOf(mobile)).toMatchObject({
      client: 'mobile',
      headers: { authorization: 'Bearer t' },
      keyLeftOut: true,
    });
    expect(mobile).not.toContain(webKey);
    const web = await (await fetch(`${stack.url}/graphql?client=web`, { headers: html })).text();
    expect(settingsOf(web)).toMatchObject({
      client: 'web',
      headers: { 'x-api-key': webKey },
      keyLeftOut: false,
    });
  });

  it('refuses a client name that no client can have, with a coded error', async () => {
    for (const client of ['<script>', 'a'.repeat(65), '']) {
      const response = await fetch(`${stack.url}/graphql?client=${encodeURIComponent(client)}`, {
        headers: html,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        errors: [{ message: expect.stringContaining('client must be'), extensions: { code: 'BAD_REQUEST' } }],
      });
    }
  });

  it('leaves GraphQL over GET and POST alone, whatever the accept header says', async () => {
    const get = await fetch(`${stack.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { ...html, 'apollo-require-preflight': '1' },
    });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const post = await stack.graphql('{ __typename }', { headers: html });
    expect(post.body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe("the IDE's files", () => {
  it('are served with hashed names, cached for a year, gzipped when the browser accepts it', async () => {
    const page = await (await fetch(`${stack.url}/graphql`, { headers: html })).text();
    for (const path of assetsOf(page)) {
      expect(path).toMatch(/\/ide-[A-Z0-9]{8}\.(js|css)$/);
      const plain = await fetch(`${stack.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-type')).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(plain.headers.get('content-encoding')).toBeNull();
      const body = Buffer.from(await plain.arrayBuffer());
      // undici's fetch would inflate it: a raw request shows what went over the wire.
      const gzip = await rawGet(`${stack.url}${path}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.headers.vary).toBe('accept-encoding');
      expect(gzip.body.length).toBeLessThan(body.length / 2);
      expect(gunzipSync(gzip.body).equals(body)).toBe(true);
    }
  });

  it('answers 404 for any name the build did not write, a path included', async () => {
    for (const path of [
      'manifest.json',
      '..%2Fmanifest.json',
      '%2E%2E%2Fpackage.json',
      'ide.js',
      `${'x'.repeat(90)}.js`,
    ]) {
      const response = await fetch(`${stack.url}/graphql/ide/${path}`);
      expect(response.status).toBe(404);
      const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('NOT_FOUND');
    }
  });
});

describe('which IDE, and when', () => {
  it("serves Apollo's sandbox page with server.sandboxIde: apollo, and none of ours", async () => {
    const apollo = await gatewayWith({}, 'server: { sandboxIde: apollo }\n');
    const response = await fetch(`${apollo.url}/graphql?client=mobile`, { headers: html });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('embeddable-sandbox');
    expect(page).toMatch(/apollographql-client-name[\\"]*:[\\"]*mobile/);
    expect(page).not.toContain('ide-settings');
    expect((await fetch(`${apollo.url}/graphql/ide/anything.js`)).status).toBe(404);
  });

  it('serves no IDE in production', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production' });
    const response = await fetch(`${production.url}/graphql`, { headers: html });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).not.toContain('text/html');
    expect(await response.text()).not.toContain('ide-settings');
    const page = await (await fetch(`${stack.url}/graphql`, { headers: html })).text();
    const [script] = assetsOf(page);
    expect((await fetch(`${production.url}${script}`)).status).toBe(404);
  });

  it('serves it in production when server.sandbox says so', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production' }, 'server: { sandbox: true }\n');
    const response = await fetch(`${production.url}/graphql`, { headers: html });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(policy);
  });
});

describe('an IDE never built', () => {
  it('answers 503 with how to build it, and says so in the log at start', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ide-bundle-'));
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => lines.push(line) });
    const app = Fastify();
    try {
      await registerIde(app, {
        config: loadConfig({ env: gatewayEnv(stack.services) }).config,
        logger,
        bundleDir: empty,
      });
      // Where the pipeline's /graphql route would be: the page is answered before it.
      app.get('/graphql', async () => ({ data: null }));
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const response = await fetch(`${url}/graphql`, { headers: html });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-security-policy')).toBe(policy);
      expect(await response.text()).toContain('npm run build:ide');
      expect(lines.join('')).toContain('the IDE is not built');
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});

async function rawGet(url: string, headers: Record<string, string>) {
  const { request } = await import('undici');
  const response = await request(url, { headers });
  return { headers: response.headers, body: Buffer.from(await response.body.arrayBuffer()) };
}
