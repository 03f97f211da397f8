// The HTTP surface end to end: health, readiness while draining, metrics, GraphQL over GET and
// POST, CSRF prevention, body limits, request-level errors and production masking.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Money } from '../src/resolvers/money.js';
import {
  metricValue,
  openConnection,
  rawRequest,
  scrapeMetrics,
  upstreamCalls,
  waitFor,
} from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const productsQuery = '{ products(ids: ["p1"]) { id } }';
const json = { 'content-type': 'application/json' };

/** A GET /graphql path for `query`. */
const getPath = (query: string) => `/graphql?query=${encodeURIComponent(query)}`;

interface ErrorBody {
  data?: unknown;
  errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[];
}

/** Asserts a request-level rejection: one error with `code`, no data, no internals. */
function expectRejected(text: string, code: string): ErrorBody {
  const body = JSON.parse(text) as ErrorBody;
  expect(body.data).toBeUndefined();
  expect(body.errors).toHaveLength(1);
  expect(body.errors![0]!.extensions?.code).toBe(code);
  for (const leak of ['    at ', 'stacktrace', 'node_modules', 'FST_', 'SyntaxError', 'Unexpected']) {
    expect(text).not.toContain(leak);
  }
  return body;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack.close());
beforeEach(() => stack.services.clearRecords());

describe('health and readiness', () => {
  it('GET /health answers 200 {"status":"ok"}', async () => {
    const response = await fetch(`${stack.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready answers 200 while serving', async () => {
    const response = await fetch(`${stack.url}/ready`);
    expect(response.status).toBe(200);
  });

  it('GET /ready turns 503 once close() begins, while an in-flight request still finishes', async () => {
    const own = await startStack();
    const connection = await openConnection(own.url);
    try {
      own.services.users.setLatencyMs(300);
      const token = await tokenFor('u1');
      const body = JSON.stringify({ query: '{ me { id } }' });
      connection.write(
        `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n` +
          `authorization: Bearer ${token}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      // The request is in flight once the users service has it.
      await waitFor(() => own.services.requests('users').length > 0, 'the users call');
      const closing = own.gateway.close();
      expect(own.gateway.readiness.ready).toBe(false);
      // New connections are no longer accepted, so a probe can only arrive on an open one.
      connection.write('GET /ready HTTP/1.1\r\nhost: gateway\r\nx-request-id: probe-1\r\n\r\n');
      const [graphql, ready] = await connection.responses(2);
      expect(graphql!.status).toBe(200);
      expect(JSON.parse(graphql!.body)).toEqual({ data: { me: { id: 'u1' } } });
      expect(ready!.status).toBe(503);
      expect(ready!.headers['x-request-id']).toBe('probe-1');
      expect(JSON.parse(ready!.body)).toEqual({ status: 'unavailable' });
      await closing;
      await connection.closed;
    } finally {
      connection.destroy();
      await own.close();
    }
  });
});

describe('GET /metrics', () => {
  it('is Prometheus text with process metrics', async () => {
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toContain('# TYPE switchboard_graphql_requests_total counter');
  });

  it('counts operations by name and status, and upstream calls by service and outcome', async () => {
    const before = await scrapeMetrics(stack.url);
    const answer = await stack.graphql('query Dash { dashboard { user { id } } }', {
      token: await tokenFor('u1'),
    });
    expect(answer.body.errors).toBeUndefined();
    const after = await scrapeMetrics(stack.url);
    const delta = (name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(delta('switchboard_graphql_requests_total', { operation: 'Dash', status: '200' })).toBe(1);
    expect(
      delta('switchboard_upstream_request_duration_seconds_count', { service: 'users', outcome: 'ok' }),
    ).toBe(1);
  });

  it('collapses unnamed operations to "anonymous" and unusable names to "other"', async () => {
    const before = await scrapeMetrics(stack.url);
    const longName = `Q${'x'.repeat(70)}`;
    await stack.graphql(productsQuery);
    await stack.graphql(`query ${longName} { products(ids: ["p1"]) { id } }`);
    await stack.graphql('query Broken { products(');
    const after = await scrapeMetrics(stack.url);
    const delta = (labels: Record<string, string>) =>
      metricValue(after, 'switchboard_graphql_requests_total', labels) -
      metricValue(before, 'switchboard_graphql_requests_total', labels);
    expect(delta({ operation: 'anonymous', status: '200' })).toBe(1);
    expect(delta({ operation: 'other', status: '200' })).toBe(1);
    // A document that does not parse has no operation name the gateway could trust.
    expect(delta({ operation: 'anonymous', status: '400' })).toBe(1);
    expect(after).not.toContain(longName);
  });
});

describe('GraphQL over GET', () => {
  it('answers a query sent with a preflight header', async () => {
    for (const header of [{ 'apollo-require-preflight': 'true' }, { 'x-apollo-operation-name': 'P' }]) {
      const response = await fetch(`${stack.url}${getPath(productsQuery)}`, { headers: header });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { products: [{ id: 'p1' }] } });
    }
  });

  it('refuses a mutation (405) without calling any service', async () => {
    const response = await rawRequest(stack.url, {
      path: getPath('mutation { markNotificationRead(id: "n1") { id read } }'),
      headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${await tokenFor('u1')}` },
    });
    expect(response.status).toBe(405);
    expect(expectRejected(response.text, 'BAD_REQUEST').errors![0]!.message).toMatch(/mutation/);
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('serves the IDE page to a browser outside production (test/ide.test.ts opens it)', async () => {
    const response = await fetch(`${stack.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^\s*<!DOCTYPE html>/i);
    expect(html).toContain('id="ide-settings"');
  });
});

describe('CSRF prevention (Apollo Server 5 default)', () => {
  it('blocks a GET without a preflight header or a JSON content-type', async () => {
    const response = await rawRequest(stack.url, { path: getPath(productsQuery) });
    expect(response.status).toBe(400);
    expect(expectRejected(response.text, 'BAD_REQUEST').errors![0]!.message).toMatch(/CSRF/);
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('blocks a text/plain POST (a "simple" request a form could send)', async () => {
    const response = await rawRequest(stack.url, {
      method: 'POST',
      path: '/graphql',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: productsQuery }),
    });
    expect(response.status).toBe(400);
    expect(expectRejected(response.text, 'BAD_REQUEST').errors![0]!.message).toMatch(/CSRF/);
    expect(upstreamCalls(stack.services)).toBe(0);
  });
});

describe('request-level errors', () => {
  it('malformed JSON: 400 BAD_REQUEST without parser internals', async () => {
    const response = await rawRequest(stack.url, {
      method: 'POST',
      path: '/graphql',
      headers: json,
      body: '{"query": "{ products(ids: [\\"p1\\"]) { id } }",',
    });
    expect(response.status).toBe(400);
    expectRejected(response.text, 'BAD_REQUEST');
    expect(response.text).not.toMatch(/position|column|line \d/i);
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('unknown path: 404 NOT_FOUND', async () => {
    const response = await rawRequest(stack.url, { path: '/nope?x=1' });
    expect(response.status).toBe(404);
    expectRejected(response.text, 'NOT_FOUND');
  });

  it('parse error: 400 GRAPHQL_PARSE_FAILED, no upstream call', async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(answer.body.data).toBeUndefined();
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('validation error: 400 GRAPHQL_VALIDATION_FAILED, no upstream call', async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } nope }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.body.data).toBeUndefined();
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('introspection works outside production, with schema hints in validation errors', async () => {
    const answer = await stack.graphql('{ __schema { queryType { name } } }');
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const typo = await stack.graphql('{ product(ids: ["p1"]) { id } }');
    expect(typo.body.errors?.[0]?.message).toMatch(/Did you mean "products"/);
  });
});

describe('x-request-id', () => {
  it('is on every response: health, ready, metrics, GraphQL, 4xx', async () => {
    const answers = await Promise.all([
      rawRequest(stack.url, { path: '/health' }),
      rawRequest(stack.url, { path: '/ready' }),
      rawRequest(stack.url, { path: '/metrics' }),
      rawRequest(stack.url, { path: '/nope' }),
      rawRequest(stack.url, { path: getPath(productsQuery) }),
      rawRequest(stack.url, { method: 'POST', path: '/graphql', headers: json, body: '{' }),
      rawRequest(stack.url, {
        method: 'POST',
        path: '/graphql',
        headers: { ...json, authorization: 'Bearer nope' },
        body: JSON.stringify({ query: productsQuery }),
      }),
      rawRequest(stack.url, {
        method: 'POST',
        path: '/graphql',
        headers: json,
        body: JSON.stringify({ query: productsQuery }),
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 400, 400, 401, 200]);
    const ids = answers.map((a) => a.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps the caller's id, answers with it and sends it upstream", async () => {
    const answer = await stack.graphql(productsQuery, { headers: { 'x-request-id': 'trace-me.42' } });
    expect(answer.headers.get('x-request-id')).toBe('trace-me.42');
    const [call] = stack.services.requests('products');
    expect(call!.headers['x-request-id']).toBe('trace-me.42');
  });

  it('replaces an unsafe id with a fresh one, upstream too', async () => {
    const answer = await stack.graphql(productsQuery, { headers: { 'x-request-id': 'a b<script>' } });
    const id = answer.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(stack.services.requests('products')[0]!.headers['x-request-id']).toBe(id);
  });
});

describe('with server.bodyLimitBytes: 1024 and sandbox: false', () => {
  let small: Stack;
  let config: TempConfig;
  beforeAll(async () => {
    config = await writeTempConfig('server:\n  bodyLimitBytes: 1024\n  sandbox: false\n');
    small = await startStack({ configFile: config.file });
  });
  afterAll(async () => {
    await small?.close();
    await config?.remove();
  });
  beforeEach(() => small.services.clearRecords());

  const ids = Array.from({ length: 300 }, (_, i) => `"p${i + 1}"`).join(', ');
  const bigBody = JSON.stringify({ query: `{ products(ids: [${ids}]) { id } }` });
  const smallBody = JSON.stringify({ query: productsQuery });

  it('answers 413 PAYLOAD_TOO_LARGE to a body with a content-length over the limit', async () => {
    expect(Buffer.byteLength(bigBody)).toBeGreaterThan(1024);
    const response = await rawRequest(small.url, {
      method: 'POST',
      path: '/graphql',
      headers: json,
      body: bigBody,
    });
    expect(response.status).toBe(413);
    expectRejected(response.text, 'PAYLOAD_TOO_LARGE');
    expect(response.headers['x-request-id']).toBeDefined();
    expect(upstreamCalls(small.services)).toBe(0);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const response = await rawRequest(small.url, {
      method: 'POST',
      path: '/graphql',
      headers: json,
      body: bigBody,
      chunkBytes: 256,
    });
    expect(response.status).toBe(413);
    expectRejected(response.text, 'PAYLOAD_TOO_LARGE');
    expect(upstreamCalls(small.services)).toBe(0);
  });

  it('still answers bodies under the limit, chunked or not', async () => {
    for (const chunkBytes of [undefined, 16]) {
      const response = await rawRequest(small.url, {
        method: 'POST',
        path: '/graphql',
        headers: json,
        body: smallBody,
        chunkBytes,
      });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ data: { products: [{ id: 'p1' }] } });
    }
  });

  it('does not serve the sandbox page', async () => {
    const response = await fetch(`${small.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(await response.text()).not.toMatch(/<!DOCTYPE|<html/i);
  });
});

describe('NODE_ENV=production', () => {
  let prod: Stack;
  let dev: Stack;
  // Every upstream answer is checked against the contract before a resolver sees it, so no
  // service can provoke an unexpected error any more. Only a bug in the gateway can: plant one
  // (a resolver that throws an uncoded error naming internals) while these two gateways build
  // their schemas, then put the real resolver back.
  const internals = "Cannot read properties of undefined (reading 'format') at /srv/switchboard/money.js:12";
  beforeAll(async () => {
    const formatted = Money.formatted;
    Money.formatted = () => {
      throw new TypeError(internals);
    };
    try {
      prod = await startStack({ env: { NODE_ENV: 'production' } });
      dev = await startStack();
    } finally {
      Money.formatted = formatted;
    }
  });
  afterAll(async () => {
    await prod?.close();
    await dev?.close();
  });

  it('refuses introspection and hides schema hints', async () => {
    const answer = await prod.graphql('{ __schema { queryType { name } } }');
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.body.data).toBeUndefined();
    const typo = await prod.graphql('{ product(ids: ["p1"]) { id } }');
    expect(typo.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });

  it('does not serve the sandbox page', async () => {
    const response = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type')).not.toMatch(/text\/html/);
    expect(await response.text()).not.toMatch(/<!DOCTYPE|<html/i);
  });

  const priceQuery = '{ products(ids: ["p1", "p2"]) { id price { formatted } } }';

  it('answers an internal error with its code and path but no detail', async () => {
    const answer = await prod.graphql(priceQuery);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ products: [null, null] });
    expect(answer.body.errors).toHaveLength(2);
    for (const [index, error] of answer.body.errors!.entries()) {
      expect(error).toEqual({
        message: 'Internal server error',
        path: ['products', index, 'price', 'formatted'],
        locations: [{ line: 1, column: priceQuery.indexOf('formatted') + 1 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
    }
    expect(JSON.stringify(answer.body)).not.toMatch(/format'|srv|money|TypeError|stack/);
  });

  it('shows the same error outside production, still coded and without a stack trace', async () => {
    const answer = await dev.graphql(priceQuery);
    expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(answer.body.errors?.[0]?.message).toBe(internals);
  });

  it('allows introspection when the config turns it on', async () => {
    const config = await writeTempConfig('server:\n  introspection: true\n');
    const open = await startStack({ env: { NODE_ENV: 'production' }, configFile: config.file });
    try {
      const answer = await open.graphql('{ __schema { queryType { name } } }');
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await open.close();
      await config.remove();
    }
  });
});
