// Hostile operations end to end: each is refused with its exact status and code, before any
// upstream call, and fast. The standard introspection query and the dashboard still pass, and
// every limit set small in a real YAML file is enforced and named.
import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboardQuery } from './helpers/expected-dashboard.js';
import { metricValue, rawRequest, scrapeMetrics, upstreamCalls } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';
import { warmUp } from './helpers/warm-up.js';

interface ErrorEntry {
  message: string;
  extensions?: Record<string, unknown>;
}

interface Measured {
  status: number;
  /** The parsed body: one answer, or an array for a batch. */
  body: unknown;
  text: string;
  ms: number;
}

/** Every hostile case's measured outcome, printed at the end for the closing note. */
const table: { name: string; status: number; code: string; limit: string; ms: number }[] = [];

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack();
  token = await tokenFor('u2');
  await warmUp(stack, dashboardQuery, token);
});
afterAll(async () => {
  await stack?.close();
  if (table.length > 0) {
    const width = Math.max(...table.map((row) => row.name.length));
    const lines = table.map(
      (row) =>
        `${row.name.padEnd(width)}  ${row.status}  ${row.code.padEnd(25)} ${row.limit.padEnd(22)} ${row.ms.toFixed(1)} ms`,
    );
    console.log(`hostile operations (default limits):\n${lines.join('\n')}`);
  }
});
beforeEach(() => stack.services.clearRecords());

/** POSTs `body` (serialised unless a string) with `content-type`, timing the whole exchange. */
async function post(body: unknown, contentType = 'application/json', headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const started = performance.now();
  const response = await rawRequest(stack.url, {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': contentType, ...headers },
    body: text,
  });
  const ms = performance.now() - started;
  return { status: response.status, body: JSON.parse(response.text) as unknown, text: response.text, ms };
}

/** Asserts a request-level rejection: one coded error, no data, no internals, no upstream call. */
function expectRefused(
  name: string,
  answer: Measured,
  status: number,
  code: string,
  limit?: string,
): ErrorEntry {
  const body = answer.body as { data?: unknown; errors?: ErrorEntry[] };
  expect(answer.status, answer.text.slice(0, 300)).toBe(status);
  expect(body.data).toBeUndefined();
  expect(body.errors?.[0]?.extensions?.code).toBe(code);
  if (limit !== undefined) {
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0]!.extensions?.limit).toBe(limit);
    expect(body.errors![0]!.message).toContain(`(limits.${limit})`);
  }
  for (const leak of ['    at ', 'stacktrace', 'node_modules', '127.0.0.1'])
    expect(answer.text).not.toContain(leak);
  expect(upstreamCalls(stack.services), `${name} reached a service`).toBe(0);
  table.push({ name, status: answer.status, code, limit: limit ?? '-', ms: answer.ms });
  return body.errors![0]!;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${(i % 500) + 1}`);

describe('hostile operations under the default limits', () => {
  it('deep introspection: QUERY_TOO_COMPLEX (limits.maxDepth)', async () => {
    let inner = 'name';
    for (let i = 0; i < 7; i++) inner = `fields { type { ${inner} } }`;
    const answer = await post({ query: `{ __schema { types { ${inner} } } }` });
    const error = expectRefused(
      'deep introspection (depth 17)',
      answer,
      400,
      'QUERY_TOO_COMPLEX',
      'maxDepth',
    );
    expect(error.extensions).toMatchObject({ value: 17, max: 12 });
  });

  it('a chain of 11 ofType: QUERY_TOO_COMPLEX (limits.maxDepth)', async () => {
    let inner = 'name';
    for (let i = 0; i < 11; i++) inner = `ofType { ${inner} }`;
    const answer = await post({ query: `{ __type(name: "User") { ${inner} } }` });
    const error = expectRefused('11 nested ofType', answer, 400, 'QUERY_TOO_COMPLEX', 'maxDepth');
    expect(error.extensions).toMatchObject({ value: 11, max: 10 });
  });

  it('1,000 aliases: QUERY_TOO_COMPLEX (limits.maxAliases)', async () => {
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: id`).join(' ');
    const answer = await post({ query: `{ products(ids: ["p1"]) { ${aliases} } }` });
    const error = expectRefused('1,000 aliases', answer, 400, 'QUERY_TOO_COMPLEX', 'maxAliases');
    expect(error.extensions).toMatchObject({ value: 1000, max: 30 });
  });

  it('25 root fields: QUERY_TOO_COMPLEX (limits.maxRootFields)', async () => {
    // Aliased so they do not merge; 25 aliases are within maxAliases (30): the root fields are what is refused.
    const fields = Array.from({ length: 25 }, (_, i) => `f${i}: products(ids: ["p${i + 1}"]) { id }`);
    const answer = await post({ query: `{ ${fields.join(' ')} }` });
    const error = expectRefused('25 root fields', answer, 400, 'QUERY_TOO_COMPLEX', 'maxRootFields');
    expect(error.extensions).toMatchObject({ value: 25, max: 20 });
  });

  it('50,000 duplicated fields: QUERY_TOO_COMPLEX (limits.maxTokens) in under a second', async () => {
    const answer = await post({ query: `{ products(ids: ["p1"]) { ${'id '.repeat(50_000)}} }` });
    expectRefused('50,000 duplicated fields', answer, 400, 'QUERY_TOO_COMPLEX', 'maxTokens');
    expect(answer.ms).toBeLessThan(1000);
  });

  it('2,000 directives on a field: QUERY_TOO_COMPLEX (maxDirectivesPerField, or maxTokens first)', async () => {
    // Bare directives are two tokens each, so 2,000 fit in the 5,000-token budget.
    const bare = await post({ query: `{ products(ids: ["p1"]) { id ${'@a '.repeat(2000)}} }` });
    const error = expectRefused(
      '2,000 directives (@a)',
      bare,
      400,
      'QUERY_TOO_COMPLEX',
      'maxDirectivesPerField',
    );
    expect(error.extensions).toMatchObject({ value: 2000, max: 5 });
    // Real ones, with their argument, are seven tokens each: the token limit stops the parse first.
    const real = await post({
      query: `{ products(ids: ["p1"]) { id ${'@include(if: true) '.repeat(2000)}} }`,
    });
    expectRefused('2,000 directives (@include)', real, 400, 'QUERY_TOO_COMPLEX', 'maxTokens');
  });

  it("fragment cycles: graphql's validation refuses them (400 GRAPHQL_VALIDATION_FAILED), fast", async () => {
    const query = `{ ...A }
      fragment A on Query { products(ids: ["p1"]) { id } ...B }
      fragment B on Query { ...C }
      fragment C on Query { ...A }`;
    const answer = await post({ query });
    const error = expectRefused('fragment cycle', answer, 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(error.message).toMatch(/Cannot spread fragment "A" within itself/);
    expect(answer.ms).toBeLessThan(1000);
  });

  it('fragments that double at every level: QUERY_TOO_COMPLEX (limits.maxCost), the cost saturated', async () => {
    let fragments = 'fragment F0 on Product { id price { amount } }';
    for (let i = 1; i <= 40; i++) fragments += `\nfragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
    const answer = await post({ query: `{ products(ids: ["p1"]) { ...F40 } }\n${fragments}` });
    const error = expectRefused('fragments doubling ×40', answer, 400, 'QUERY_TOO_COMPLEX', 'maxCost');
    expect(error.extensions).toMatchObject({ value: 1e12, max: 5000 });
    expect(error.message).toMatch(/beyond 10\^12/);
    expect(answer.ms).toBeLessThan(1000);
  });

  it('an array of 50 operations: QUERY_TOO_COMPLEX (limits.maxOperationsPerBatch)', async () => {
    const batch = Array.from({ length: 50 }, (_, i) => ({
      query: `{ products(ids: ["p${i + 1}"]) { id } }`,
    }));
    const answer = await post(batch);
    const error = expectRefused(
      '50 operations in one POST',
      answer,
      400,
      'QUERY_TOO_COMPLEX',
      'maxOperationsPerBatch',
    );
    expect(error.extensions).toMatchObject({ value: 50, max: 10 });
  });

  it('an array within the limit is answered, one result per operation', async () => {
    const batch = Array.from({ length: 10 }, (_, i) => ({
      query: `{ products(ids: ["p${i + 1}"]) { id } }`,
    }));
    const answer = await post(batch);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(batch.map((_, i) => ({ data: { products: [{ id: `p${i + 1}` }] } })));
  });

  it('an array holding one hostile operation is refused whole, before any call', async () => {
    const hostile = {
      query: `{ products(ids: ["p1"]) { ${Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ')} } }`,
    };
    const answer = await post([{ query: '{ products(ids: ["p1"]) { id } }' }, hostile]);
    expectRefused('batch with one hostile operation', answer, 400, 'QUERY_TOO_COMPLEX', 'maxAliases');
  });

  it('a 2 MB body: 413 PAYLOAD_TOO_LARGE', async () => {
    const answer = await post({ query: `{ products(ids: ["p1"]) { id } } # ${'x'.repeat(2 * 1024 * 1024)}` });
    expectRefused('2 MB body', answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a text/plain POST: 400 BAD_REQUEST (CSRF prevention)', async () => {
    const answer = await post({ query: '{ products(ids: ["p1"]) { id } }' }, 'text/plain');
    const error = expectRefused('text/plain POST', answer, 400, 'BAD_REQUEST');
    expect(error.message).toMatch(/CSRF/);
  });

  it('wrong variable types: 400 BAD_USER_INPUT', async () => {
    const answer = await post({
      query: 'query($ids: [ID!]!) { products(ids: $ids) { id } }',
      variables: { ids: [{ nested: true }, 3.5] },
    });
    const error = expectRefused('wrong variable types', answer, 400, 'BAD_USER_INPUT');
    expect(error.message).toMatch(/Variable "\$ids" got invalid value/);
  });

  it('a list argument of 10,000 ids: QUERY_TOO_COMPLEX (limits.maxCost) before the resolver sees it', async () => {
    const answer = await post({
      query: 'query($ids: [ID!]!) { products(ids: $ids) { id name } }',
      variables: { ids: ids(10_000) },
    });
    const error = expectRefused('10,000 ids in a variable', answer, 400, 'QUERY_TOO_COMPLEX', 'maxCost');
    expect(error.extensions).toMatchObject({ value: 10_000, max: 5000 });
    const inline = await post({ query: `{ products(ids: ${JSON.stringify(ids(10_000))}) { id } }` });
    // Inline, the list's 10,000 strings are tokens too: the parse stops first.
    expectRefused('10,000 ids inline', inline, 400, 'QUERY_TOO_COMPLEX', 'maxTokens');
  });

  it('a persisted-query hash sent without its text cannot carry variables past the cost limit', async () => {
    // The gate sees the text only when the client sends it; Apollo's automatic persisted queries
    // (APQ) would then run the registered text with whatever variables come with the hash.
    const query = 'query($ids: [ID!]!) { products(ids: $ids) { id } }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    await post({ query, variables: { ids: ['p1'] }, extensions: { persistedQuery } });
    stack.services.clearRecords();
    const answer = await post({ variables: { ids: ids(10_000) }, extensions: { persistedQuery } });
    const body = answer.body as { errors?: ErrorEntry[] };
    expect(answer.text).not.toMatch(/products takes at most/);
    expect(['QUERY_TOO_COMPLEX', 'PERSISTED_QUERY_NOT_SUPPORTED']).toContain(
      body.errors?.[0]?.extensions?.code,
    );
    expect(upstreamCalls(stack.services)).toBe(0);
    table.push({
      name: 'APQ hash + 10,000 ids',
      status: answer.status,
      code: String(body.errors?.[0]?.extensions?.code),
      limit: String(body.errors?.[0]?.extensions?.limit ?? '-'),
      ms: answer.ms,
    });
  });

  it('a list within the cost but beyond the resolver’s 500 ids: BAD_USER_INPUT, still no upstream call', async () => {
    const answer = await post({
      query: 'query($ids: [ID!]!) { products(ids: $ids) { id } }',
      variables: { ids: ids(501) },
    });
    expect(answer.status).toBe(200);
    const body = answer.body as { data: unknown; errors: ErrorEntry[] };
    expect(body.errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('counts every refusal by limit in switchboard_rejected_requests_total', async () => {
    const metrics = await scrapeMetrics(stack.url);
    for (const reason of [
      'maxDepth',
      'maxAliases',
      'maxRootFields',
      'maxTokens',
      'maxCost',
      'maxOperationsPerBatch',
    ]) {
      expect(metricValue(metrics, 'switchboard_rejected_requests_total', { reason }), reason).toBeGreaterThan(
        0,
      );
    }
  });
});

describe('what must pass under the default limits', () => {
  it("graphql's standard introspection query", async () => {
    const answer = await post({ query: getIntrospectionQuery() });
    expect(answer.status).toBe(200);
    const body = answer.body as { data: { __schema: { types: { name: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.types.map((t) => t.name)).toContain('Dashboard');
  });

  it('the demo dashboard query', async () => {
    const answer = await stack.graphql(dashboardQuery, { token });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.dashboard).toMatchObject({ user: { id: 'u2' } });
  });

  it('the same query over GET, limits read from the query string', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ products(ids: ["p1"]) { id } }')}`;
    const ok = await rawRequest(stack.url, { path, headers: { 'apollo-require-preflight': 'true' } });
    expect(ok.status).toBe(200);
    const costly = encodeURIComponent('query($n: Int) { me { orders(limit: $n) { id } } }');
    const variables = encodeURIComponent(JSON.stringify({ n: 10_000 }));
    const refused = await rawRequest(stack.url, {
      path: `/graphql?query=${costly}&variables=${variables}`,
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).errors[0].extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxCost',
    });
  });
});

describe('every limit set small in the config file', () => {
  let small: Stack;
  let config: TempConfig;
  beforeAll(async () => {
    config = await writeTempConfig(
      [
        'limits:',
        '  maxDepth: 3',
        '  maxAliases: 2',
        '  maxRootFields: 2',
        '  maxTokens: 100',
        '  maxDirectivesPerField: 1',
        '  maxCost: 20',
        '  maxOperationsPerBatch: 2',
        '',
      ].join('\n'),
    );
    small = await startStack({ configFile: config.file });
  });
  afterAll(async () => {
    await small?.close();
    await config?.remove();
  });
  beforeEach(() => small?.services.clearRecords());

  const cases: { limit: string; atLimit: string; over: string; value: number; max: number }[] = [
    {
      limit: 'maxDepth',
      atLimit: '{ products(ids: ["p1"]) { price { amount } } }',
      over: '{ __schema { types { fields { name } } } }',
      value: 4,
      max: 3,
    },
    {
      limit: 'maxAliases',
      atLimit: '{ products(ids: ["p1"]) { a: id b: id } }',
      over: '{ products(ids: ["p1"]) { a: id b: id c: id } }',
      value: 3,
      max: 2,
    },
    {
      limit: 'maxRootFields',
      atLimit: '{ __typename products(ids: ["p1"]) { id } }',
      over: '{ __typename a: __typename products(ids: ["p1"]) { id } }',
      value: 3,
      max: 2,
    },
    {
      limit: 'maxTokens',
      // `{ products ( ids : [ "p1" ] ) {` is 10 tokens, `} }` two more.
      atLimit: `{ products(ids: ["p1"]) { ${'id '.repeat(88)}} }`,
      over: `{ products(ids: ["p1"]) { ${'id '.repeat(89)}} }`,
      value: 101,
      max: 100,
    },
    {
      limit: 'maxDirectivesPerField',
      atLimit: '{ products(ids: ["p1"]) { id @include(if: true) } }',
      over: '{ products(ids: ["p1"]) { id @include(if: true) @skip(if: false) } }',
      value: 2,
      max: 1,
    },
    {
      limit: 'maxCost',
      atLimit: `{ products(ids: ${JSON.stringify(ids(20))}) { id } }`,
      over: `{ products(ids: ${JSON.stringify(ids(21))}) { id } }`,
      value: 21,
      max: 20,
    },
  ];
  for (const { limit, atLimit, over, value, max } of cases) {
    it(`${limit}: at the limit answers, one over is 400 QUERY_TOO_COMPLEX naming limits.${limit}`, async () => {
      const ok = await small.graphql(atLimit);
      expect(ok.status).toBe(200);
      expect(ok.body.errors).toBeUndefined();
      small.services.clearRecords();
      const refused = await small.graphql(over);
      expect(refused.status).toBe(400);
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors).toEqual([
        {
          message: expect.stringContaining(`(limits.${limit})`),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit, value, max },
        },
      ]);
      expect(upstreamCalls(small.services)).toBe(0);
    });
  }

  it('maxOperationsPerBatch: 2 operations answer, 3 are 400 naming limits.maxOperationsPerBatch', async () => {
    const one = { query: '{ products(ids: ["p1"]) { id } }' };
    const ok = await fetch(`${small.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([one, one]),
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveLength(2);
    small.services.clearRecords();
    const refused = await fetch(`${small.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([one, one, one]),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      errors: [
        {
          message: expect.stringContaining('(limits.maxOperationsPerBatch)'),
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxOperationsPerBatch', value: 3, max: 2 },
        },
      ],
    });
    expect(upstreamCalls(small.services)).toBe(0);
  });
});
