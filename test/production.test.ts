// HTTP hardening that test/http.test.ts leaves out: CORS per origin list (none by default), and
// production mode (NODE_ENV=production) across every kind of error: no introspection of any
// form, no "Did you mean" anywhere (validation or variable coercion), and no stack trace,
// service address or raw upstream body in any answer, request-level or field-level.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Fault } from '../src/demo/services.js';
import { clearFaults } from './helpers/faults.js';
import { rawRequest, upstreamCalls } from './helpers/http.js';
import { expectNoLeaks } from './helpers/leaks.js';
import { awayFromWindowEdge } from './helpers/rate-windows.js';
import { type GraphQLAnswer, type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, upstreamsYaml, writeTempConfig } from './helpers/temp-config.js';

const apiKey = 'prod-key-0123456789abcdef';
const productsQuery = '{ products(ids: ["p1"]) { id } }';
const appOrigin = 'https://app.example.com';

let prod: Stack;
let config: TempConfig;
let token: string;
beforeAll(async () => {
  // A short users timeout so a hanging service answers fast; no retries, a breaker that stays
  // closed, so every case reaches the service it is about.
  config = await writeTempConfig(
    `${upstreamsYaml({ retries: 0, breaker: { volumeThreshold: 1_000_000 } }, { users: { timeoutMs: 300 } })}` +
      `auth:\n  apiKeys:\n    - { key: "${apiKey}", client: web, tier: tiny }\n` +
      'rateLimits:\n  tiers:\n    tiny: { requests: 1, windowSeconds: 3600 }\n',
  );
  prod = await startStack({ env: { NODE_ENV: 'production' }, configFile: config.file });
  token = await tokenFor('u2');
});
afterAll(async () => {
  await prod?.close();
  await config?.remove();
});
beforeEach(() => prod.services.clearRecords());

/** Asserts that the answer, whole, names no address, port, stack, or raw upstream body. */
function expectClean(text: string): void {
  expectNoLeaks(JSON.parse(text), prod.services);
  const internals = [
    'stacktrace',
    'node_modules',
    '/src/',
    '.ts:',
    'TypeError',
    'SyntaxError',
    'ReferenceError',
  ];
  for (const needle of [...internals, 'ECONNREFUSED', 'ECONNRESET', 'UND_ERR', 'socket hang up']) {
    expect(text, `the answer contains ${JSON.stringify(needle)}`).not.toContain(needle);
  }
}

const asText = (answer: GraphQLAnswer) => JSON.stringify(answer.body);

describe('production: no introspection, no suggestions', () => {
  it('refuses __type as well as __schema, and over GET too', async () => {
    const byName = await prod.graphql('{ __type(name: "User") { fields { name } } }');
    expect(byName.status).toBe(400);
    expect(byName.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(asText(byName)).not.toMatch(/"email"|"orders"/);
    const overGet = await rawRequest(prod.url, {
      path: `/graphql?query=${encodeURIComponent('{ __schema { types { name } } }')}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(overGet.status).toBe(400);
    expect(JSON.parse(overGet.text).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(overGet.text).not.toMatch(/"Dashboard"/);
    // __typename is not introspection: clients rely on it.
    const typename = await prod.graphql('{ __typename }');
    expect(typename.body).toEqual({ data: { __typename: 'Query' } });
  });

  const typos: [string, string, Record<string, unknown>?][] = [
    ['an unknown field', '{ products(ids: ["p1"]) { nam } }'],
    ['an unknown argument', '{ products(idz: ["p1"]) { id } }'],
    ['an unknown type in a fragment', '{ ... on Prodct { __typename } }'],
    ['an unknown variable type', 'query($ids: [IDD!]!) { products(ids: $ids) { id } }'],
    ['an unknown input field in a literal', 'mutation { placeOrder(input: { itemz: [] }) { id } }'],
  ];
  for (const [what, query] of typos) {
    it(`no "Did you mean" for ${what}`, async () => {
      const answer = await prod.graphql(query, { token });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(asText(answer)).not.toMatch(/Did you mean/);
      expect(upstreamCalls(prod.services)).toBe(0);
    });
  }

  it('no "Did you mean" in a variable that does not fit its input type (BAD_USER_INPUT)', async () => {
    const answer = await prod.graphql(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        token,
        variables: { input: { items: [{ productId: 'p1', quantity: 1, quantityy: 2 }] } },
      },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(asText(answer)).not.toMatch(/Did you mean|"quantity"\?/);
    expect(upstreamCalls(prod.services)).toBe(0);
  });
});

describe('production: no stack trace, address or upstream body in any error', () => {
  afterEach(async () => clearFaults(prod.services));

  const faults: [string, Fault, string][] = [
    ['refused', { kind: 'refuse' }, 'UPSTREAM_UNAVAILABLE'],
    ['hanging', { kind: 'hang' }, 'UPSTREAM_TIMEOUT'],
    ['answering 500 with a body', { kind: 'status', status: 500 }, 'UPSTREAM_ERROR'],
    ['answering HTML', { kind: 'html' }, 'UPSTREAM_ERROR'],
    ['answering broken JSON', { kind: 'malformed' }, 'UPSTREAM_ERROR'],
    ['resetting the connection', { kind: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
  ];
  for (const [what, fault, code] of faults) {
    it(`users ${what}: ${code} naming the service only`, async () => {
      prod.services.setFault('users', fault);
      const answer = await prod.graphql('{ me { id name } products(ids: ["p1"]) { id } }', { token });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ me: null, products: [{ id: 'p1' }] });
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body.errors![0]).toMatchObject({ path: ['me'], extensions: { code, service: 'users' } });
      expect(Object.keys(answer.body.errors![0]!.extensions!).sort()).toEqual(['code', 'service']);
      expectClean(asText(answer));
    });
  }

  it("a service's 4xx on a mutation: BAD_USER_INPUT with the service's words, nothing more", async () => {
    const answer = await prod.graphql(
      'mutation { placeOrder(input: { items: [{ productId: "p999999", quantity: 1 }] }) { id } }',
      { token },
    );
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', service: 'orders' });
    expectClean(asText(answer));
  });

  it('request-level refusals: every one coded and clean', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      rawRequest(prod.url, {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const cases: [string, Promise<{ status: number; text: string }>, number, string][] = [
      [
        'invalid token',
        post(JSON.stringify({ query: productsQuery }), { authorization: 'Bearer x.y.z' }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'unknown API key',
        post(JSON.stringify({ query: productsQuery }), { 'x-api-key': 'no-such-key-0000000000' }),
        401,
        'UNAUTHENTICATED',
      ],
      ['malformed JSON', post('{"query": "{ __typename }",'), 400, 'BAD_REQUEST'],
      ['empty body', post(''), 400, 'BAD_REQUEST'],
      [
        'a body over the limit',
        post(JSON.stringify({ query: `{ __typename } #${'x'.repeat(1_100_000)}` })),
        413,
        'PAYLOAD_TOO_LARGE',
      ],
      [
        'a parse error',
        post(JSON.stringify({ query: '{ products(ids: ["p1"]) { id }' })),
        400,
        'GRAPHQL_PARSE_FAILED',
      ],
      [
        'too complex',
        post(JSON.stringify({ query: `{ ${'__typename '.repeat(6000)}}` })),
        400,
        'QUERY_TOO_COMPLEX',
      ],
      [
        'text/plain',
        post(JSON.stringify({ query: productsQuery }), { 'content-type': 'text/plain' }),
        400,
        'BAD_REQUEST',
      ],
      ['an unknown path', rawRequest(prod.url, { path: '/admin' }), 404, 'NOT_FOUND'],
      [
        'a mutation over GET',
        rawRequest(prod.url, {
          path: `/graphql?query=${encodeURIComponent('mutation { markNotificationRead(id: "n1") { id } }')}`,
          headers: { 'apollo-require-preflight': 'true' },
        }),
        405,
        'BAD_REQUEST',
      ],
    ];
    for (const [what, pending, status, code] of cases) {
      const response = await pending;
      expect(response.status, what).toBe(status);
      expect(JSON.parse(response.text).errors[0].extensions.code, what).toBe(code);
      expectClean(response.text);
    }
    expect(upstreamCalls(prod.services)).toBe(0);
  });

  it('a tier 429 is clean too', async () => {
    await awayFromWindowEdge(3_600_000);
    const headers = { 'x-api-key': apiKey };
    expect((await prod.graphql(productsQuery, { headers })).status).toBe(200);
    const refused = await prod.graphql(productsQuery, { headers });
    expect(refused.status).toBe(429);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expectClean(asText(refused));
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/graphql`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      },
    });
  const crossOriginPost = (url: string, origin: string) =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ query: productsQuery }),
    });

  it('by default no origin is allowed: no access-control-* headers, on a preflight or a request', async () => {
    // The production stack has no server.cors: the default.
    for (const origin of [appOrigin, 'https://evil.example']) {
      const options = await preflight(prod.url, origin);
      await options.arrayBuffer();
      expect(options.headers.get('access-control-allow-origin')).toBeNull();
      expect(options.headers.get('access-control-allow-methods')).toBeNull();
      const answer = await crossOriginPost(prod.url, origin);
      await answer.arrayBuffer();
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  describe('with server.cors.origins: ["https://app.example.com"]', () => {
    let open: Stack;
    let corsConfig: TempConfig;
    beforeAll(async () => {
      corsConfig = await writeTempConfig(
        `server:\n  cors:\n    origins: ["${appOrigin}"]\n    maxAgeSeconds: 120\n`,
      );
      open = await startStack({ configFile: corsConfig.file });
    });
    afterAll(async () => {
      await open?.close();
      await corsConfig?.remove();
    });

    it('a preflight from that origin: 204 with the allow headers, no upstream call', async () => {
      open.services.clearRecords();
      const response = await preflight(open.url, appOrigin);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
      expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
      const allowed = response.headers.get('access-control-allow-headers') ?? '';
      for (const header of ['content-type', 'authorization', 'x-api-key']) expect(allowed).toContain(header);
      expect(response.headers.get('access-control-max-age')).toBe('120');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/Origin/i);
      expect(response.headers.get('x-request-id')).toBeTruthy();
      expect(upstreamCalls(open.services)).toBe(0);
    });

    it('a request from that origin may read the answer and the rate-limit headers', async () => {
      const response = await crossOriginPost(open.url, appOrigin);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ data: { products: [{ id: 'p1' }] } });
      expect(response.headers.get('access-control-allow-origin')).toBe(appOrigin);
      const exposed = response.headers.get('access-control-expose-headers') ?? '';
      for (const header of ['x-request-id', 'retry-after', 'ratelimit', 'ratelimit-policy']) {
        expect(exposed).toContain(header);
      }
    });

    it('another origin gets no access-control-allow-origin', async () => {
      for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
        const options = await preflight(open.url, origin);
        await options.arrayBuffer();
        expect(options.headers.get('access-control-allow-origin'), origin).toBeNull();
        const answer = await crossOriginPost(open.url, origin);
        await answer.arrayBuffer();
        expect(answer.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    });
  });
});
