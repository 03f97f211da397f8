// What reaches a service is built from the verified identity and a short allow-list, never
// copied from the caller: credentials, cookies and forged identity headers stay at the gateway.
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../src/demo/services.js';
import { dashboardQuery } from './helpers/expected-dashboard.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const webApiKey = 'web-key-for-header-tests-0123456789';
const bodyLimitBytes = 4096;

/** The contract's allow-list (docs/upstreams.md "What the gateway sends"). */
const allowList = ['x-request-id', 'traceparent', 'x-client-name', 'x-user-id', 'x-user-role'];
/** What an HTTP client adds on its own to carry a request. */
const transportHeaders = ['host', 'connection', 'accept', 'content-type', 'content-length'];

const validTraceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** Everything a browser, a proxy or an attacker might send that must not reach a service. */
const callerOnlyHeaders: Record<string, string> = {
  cookie: 'session=s3cr3t; theme=dark',
  'x-forwarded-for': '203.0.113.7, 10.0.0.1',
  'x-forwarded-host': 'evil.example',
  forwarded: 'for=203.0.113.7',
  'x-real-ip': '203.0.113.7',
  'x-custom-secret': 'do-not-forward',
  'proxy-authorization': 'Basic dXNlcjpwYXNz',
  tracestate: 'vendor=opaque',
  'user-agent': 'header-test-browser/1.0',
  'accept-language': 'de-CH',
  origin: 'https://app.example',
  referer: 'https://app.example/home',
};

let stack: Stack;
let config: TempConfig;

beforeAll(async () => {
  config = await writeTempConfig(
    [
      'server:',
      `  bodyLimitBytes: ${bodyLimitBytes}`,
      'auth:',
      '  apiKeys:',
      `    - { key: "${webApiKey}", client: web, tier: pro }`,
      '',
    ].join('\n'),
  );
  stack = await startStack({ configFile: config.file });
});
afterAll(async () => {
  await stack?.close();
  await config?.remove();
});
beforeEach(() => stack.services.clearRecords());

/** Every upstream call any service received, /health excluded. */
function allCalls(): RecordedRequest[] {
  return (['users', 'orders', 'notifications', 'products'] as const).flatMap((s) =>
    stack.services.requests(s),
  );
}

/** Asserts a recorded request carries nothing but the allow-list and transport headers. */
function expectOnlyAllowed(headers: IncomingHttpHeaders): void {
  for (const name of Object.keys(headers)) {
    expect([...allowList, ...transportHeaders], `header ${name} went upstream`).toContain(name);
  }
  expect(headers.authorization).toBeUndefined();
  expect(headers['x-api-key']).toBeUndefined();
  for (const name of Object.keys(callerOnlyHeaders)) expect(headers[name]).toBeUndefined();
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the upstream allow-list', () => {
  it('forwards exactly the allowed headers on every call of a dashboard', async () => {
    const answer = await stack.graphql(dashboardQuery, {
      token: await tokenFor('u2'),
      headers: {
        ...callerOnlyHeaders,
        'x-request-id': 'my-req-123',
        traceparent: validTraceparent,
        'apollographql-client-name': 'web',
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.headers.get('x-request-id')).toBe('my-req-123');

    const calls = allCalls();
    // users, orders, notifications (list and unread count), products.
    expect(calls).toHaveLength(5);
    for (const call of calls) {
      expectOnlyAllowed(call.headers);
      expect(call.headers).toMatchObject({
        'x-request-id': 'my-req-123',
        traceparent: validTraceparent,
        'x-client-name': 'web',
        'x-user-id': 'u2',
        'x-user-role': 'USER',
      });
    }
  });

  it('sends the role from the verified token', async () => {
    const answer = await stack.graphql('{ me { id } }', { token: await tokenFor('u1', 'ADMIN') });
    expect(answer.body.errors).toBeUndefined();
    const [call, ...more] = allCalls();
    expect(more).toHaveLength(0);
    expect(call!.headers['x-user-id']).toBe('u1');
    expect(call!.headers['x-user-role']).toBe('ADMIN');
  });

  it('ignores identity headers the caller forges', async () => {
    const forged = { 'x-user-id': 'u1', 'x-user-role': 'ADMIN', 'x-client-name': 'partner' };
    const signedIn = await stack.graphql('{ me { id } }', { token: await tokenFor('u3'), headers: forged });
    expect(signedIn.body.data).toEqual({ me: { id: 'u3' } });
    const anonymous = await stack.graphql('{ products(ids: ["p1"]) { id } }', { headers: forged });
    expect(anonymous.body.errors).toBeUndefined();

    const [users, products] = [stack.services.requests('users'), stack.services.requests('products')];
    expect(users).toHaveLength(1);
    expect(users[0]!.headers).toMatchObject({
      'x-user-id': 'u3',
      'x-user-role': 'USER',
      'x-client-name': 'anonymous',
    });
    expect(products).toHaveLength(1);
    expect(products[0]!.headers['x-user-id']).toBeUndefined();
    expect(products[0]!.headers['x-user-role']).toBeUndefined();
    expect(products[0]!.headers['x-client-name']).toBe('anonymous');
  });

  it('sends no user headers for an anonymous caller', async () => {
    const answer = await stack.graphql('{ products(ids: ["p1", "p2"]) { id } }', {
      headers: { 'x-request-id': 'anon-1', cookie: 'session=abc' },
    });
    expect(answer.body.errors).toBeUndefined();
    const calls = allCalls();
    expect(calls).toHaveLength(1);
    expectOnlyAllowed(calls[0]!.headers);
    expect(calls[0]!.headers['x-user-id']).toBeUndefined();
    expect(calls[0]!.headers['x-user-role']).toBeUndefined();
    expect(calls[0]!.headers['x-client-name']).toBe('anonymous');
    expect(calls[0]!.headers['x-request-id']).toBe('anon-1');
  });

  it('names the client after its API key and never forwards the key', async () => {
    const answer = await stack.graphql('{ me { id } }', {
      token: await tokenFor('u4'),
      // The key decides the client name, whatever the client claims.
      headers: { 'x-api-key': webApiKey, 'apollographql-client-name': 'mobile' },
    });
    expect(answer.body.errors).toBeUndefined();
    const [call] = allCalls();
    expectOnlyAllowed(call!.headers);
    expect(call!.headers['x-client-name']).toBe('web');
    expect(JSON.stringify(call!.headers)).not.toContain(webApiKey);
  });

  it('falls back to "anonymous" for a client name that is not plain', async () => {
    for (const name of ['two words', 'x'.repeat(65), 'semi;colon']) {
      stack.services.clearRecords();
      await stack.graphql('{ products(ids: ["p1"]) { id } }', {
        headers: { 'apollographql-client-name': name },
      });
      expect(allCalls()[0]!.headers['x-client-name']).toBe('anonymous');
    }
  });
});

describe('traceparent', () => {
  it.each([
    ['garbage', 'not-a-traceparent'],
    ['upper-case hex', validTraceparent.toUpperCase()],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
    ['an all-zero parent id', `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`],
    ['the forbidden version ff', `ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`],
    ['a short trace id', '00-0af7651916cd43dd-b7ad6b7169203331-01'],
    ['a trailing field on version 00', `${validTraceparent}-extra`],
  ])('is dropped when it has %s', async (_what, traceparent) => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', { headers: { traceparent } });
    expect(answer.status).toBe(200);
    const calls = allCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.traceparent).toBeUndefined();
  });

  it('is forwarded unchanged when valid', async () => {
    await stack.graphql('{ products(ids: ["p1"]) { id } }', { headers: { traceparent: validTraceparent } });
    expect(allCalls()[0]!.headers.traceparent).toBe(validTraceparent);
  });
});

describe('x-request-id', () => {
  it("keeps the caller's id in the response and upstream", async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', {
      headers: { 'x-request-id': 'my-req-123' },
    });
    expect(answer.headers.get('x-request-id')).toBe('my-req-123');
    expect(allCalls()[0]!.headers['x-request-id']).toBe('my-req-123');
  });

  it.each([
    ['300 characters', 'r'.repeat(300)],
    ['spaces', 'my request id'],
    ['header-unsafe punctuation', 'id;drop=table,"quoted"'],
    ['an empty value', ''],
  ])('replaces an id with %s by a fresh one, the same in the response and upstream', async (_what, junk) => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', {
      headers: { 'x-request-id': junk },
    });
    expect(answer.status).toBe(200);
    const id = answer.headers.get('x-request-id');
    expect(id).toMatch(uuid);
    expect(id).not.toBe(junk);
    const calls = allCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers['x-request-id']).toBe(id);
  });

  it('gives every request without one an id of its own', async () => {
    const first = await stack.graphql('{ products(ids: ["p1"]) { id } }');
    const second = await stack.graphql('{ products(ids: ["p2"]) { id } }');
    const ids = [first.headers.get('x-request-id'), second.headers.get('x-request-id')];
    expect(ids[0]).toMatch(uuid);
    expect(ids[1]).toMatch(uuid);
    expect(ids[0]).not.toBe(ids[1]);
    expect(allCalls().map((c) => c.headers['x-request-id'])).toEqual(ids);
  });

  it('is on every response, rejected and non-GraphQL ones included', async () => {
    const url = stack.url;
    const json = { 'content-type': 'application/json' };
    const requests: [string, string, RequestInit, number][] = [
      ['health', '/health', {}, 200],
      ['ready', '/ready', {}, 200],
      ['metrics', '/metrics', {}, 200],
      ['unknown path', '/nope', {}, 404],
      ['sandbox', '/graphql', { headers: { accept: 'text/html' } }, 200],
      ['GET without a CSRF-safe header', '/graphql?query=%7B__typename%7D', {}, 400],
      [
        'invalid token',
        '/graphql',
        {
          method: 'POST',
          headers: { ...json, authorization: 'Bearer not.a.jwt' },
          body: '{"query":"{ me { id } }"}',
        },
        401,
      ],
      [
        'unknown API key',
        '/graphql',
        {
          method: 'POST',
          headers: { ...json, 'x-api-key': 'no-such-key-0123456789' },
          body: '{"query":"{ __typename }"}',
        },
        401,
      ],
      ['parse error', '/graphql', { method: 'POST', headers: json, body: '{"query":"{ products("}' }, 400],
      ['malformed JSON', '/graphql', { method: 'POST', headers: json, body: '{"query":' }, 400],
      [
        'body too large',
        '/graphql',
        {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(2 * bodyLimitBytes)}` }),
        },
        413,
      ],
    ];
    for (const [what, path, init, status] of requests) {
      for (const given of [undefined, `rid-${what.replace(/\W+/g, '-')}`]) {
        const headers = new Headers(init.headers);
        if (given) headers.set('x-request-id', given);
        const response = await fetch(`${url}${path}`, { ...init, headers });
        await response.arrayBuffer();
        expect(response.status, what).toBe(status);
        const id = response.headers.get('x-request-id');
        if (given) expect(id, what).toBe(given);
        else expect(id, what).toMatch(uuid);
      }
    }
    // None of these rejected requests reached a service.
    expect(allCalls()).toHaveLength(0);
  });
});
