// The graphql-jit executor (src/graphql/executor.ts) answers exactly as graphql-js. An operation
// runs on graphql-js the first time and compiled from the second on, so every case here sends
// the same request twice and the two answers must be identical, down to error messages, paths,
// locations and codes; the executor's own report (switchboard_graphql_executions_total{engine})
// proves which engine answered each time, so this compares graphql-jit with graphql-js, not
// graphql-js with itself. The first answer is also checked against what the contract says.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboardQuery } from './helpers/expected-dashboard.js';
import { clearFaults } from './helpers/faults.js';
import { metricValue, scrapeMetrics } from './helpers/http.js';
import { type GraphQLAnswer, type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, sendJson, startStubService } from './helpers/stub-service.js';
import { type TempConfig, upstreamsYaml, writeTempConfig } from './helpers/temp-config.js';

// A client schema whose @rest fields reach execution with what a service sent: the @rest answer
// check stops 8 levels down (src/directives/rest/conform.ts) and accepts any object for a union.
const deepSdl = `"A link of a chain (chain service)."
type Link {
  "Its label."
  label: String!
  "When it was made."
  madeAt: DateTime
  "The next link."
  next: Link
}

"What a shape can be."
union Shape = Link

extend type Query {
  "A chain of links."
  chain: Link @rest(service: "chain", path: "/chain")
  "A shape."
  shape: Shape @rest(service: "chain", path: "/shape")
}
`;
const deep = { 'apollographql-client-name': 'deep' };
const chainLength = 16;

/** Links 1…16; link 12 has no label and link 14 was made "yesterday". */
function chain(level = 1): Record<string, unknown> | null {
  if (level > chainLength) return null;
  return {
    ...(level === 12 ? {} : { label: `link ${level}` }),
    madeAt: level === 14 ? 'yesterday' : '2026-11-27T12:00:00Z',
    next: chain(level + 1),
  };
}

/** `{ chain { … next { … } } }` over `chainLength` levels, each selecting `fields` around `next`. */
function chainQuery(fields: (next: string) => string): string {
  let selection = fields('');
  for (let level = 1; level < chainLength; level++) selection = fields(`next { ${selection} }`);
  return `{ chain { ${selection} } }`;
}

/** The response path of link `level` of the chain. */
const linkAt = (level: number) => ['chain', ...Array<string>(level - 1).fill('next')];

let stack: Stack;
let stub: StubService;
let dir: string;
let config: TempConfig;
let token: string;

beforeAll(async () => {
  stub = await startStubService((request, response) => {
    const path = new URL(request.url ?? '/', 'http://stub').pathname;
    if (path === '/chain') return sendJson(response, chain());
    if (path === '/shape') return sendJson(response, { label: 'no __typename' });
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
  });
  dir = await mkdtemp(join(tmpdir(), 'switchboard-executor-'));
  await mkdir(join(dir, 'deep'));
  await writeFile(join(dir, 'deep', 'schema.graphql'), deepSdl);
  // No response cache (it would answer the second request itself), no retries, stale answers or
  // breaker: the second request must meet exactly what the first met.
  const settings = { retries: 0, breaker: { volumeThreshold: 1_000_000 }, staleIfErrorSeconds: 0 };
  const chainService = JSON.stringify({ ...settings, urls: [stub.url] });
  config = await writeTempConfig(
    [
      `${upstreamsYaml(settings)}  chain: ${chainService}`,
      `clients: { dir: ${JSON.stringify(dir)} }`,
      'cache: { responses: false }',
      'limits: { maxDepth: 40 }',
      '',
    ].join('\n'),
  );
  stack = await startStack({ configFile: config.file });
  token = await tokenFor('u2');
});
afterAll(async () => {
  await stack?.close();
  await stub?.close();
  await config?.remove();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => stack.services.clearRecords());
afterEach(async () => clearFaults(stack.services));

type Options = Parameters<Stack['graphql']>[1];

type Engine = 'graphql-jit' | 'graphql-js';

/** How many operations each engine has run so far. */
async function executions(): Promise<Record<Engine, number>> {
  const text = await scrapeMetrics(stack.url);
  return {
    'graphql-jit': metricValue(text, 'switchboard_graphql_executions_total', { engine: 'graphql-jit' }),
    'graphql-js': metricValue(text, 'switchboard_graphql_executions_total', { engine: 'graphql-js' }),
  };
}

/** Which engine ran the request `send` made (the executor counts each execution by engine). */
async function engineOf<T>(send: () => Promise<T>): Promise<{ answer: T; engine: Engine | 'none' }> {
  const before = await executions();
  const answer = await send();
  const after = await executions();
  if (after['graphql-jit'] > before['graphql-jit']) return { answer, engine: 'graphql-jit' };
  return { answer, engine: after['graphql-js'] > before['graphql-js'] ? 'graphql-js' : 'none' };
}

/**
 * The answer to a request sent twice, after checking both agree: the first always on graphql-js,
 * the second on `second` (graphql-jit unless the operation is one it must not run).
 */
async function twice(
  query: string,
  options?: Options,
  second: Engine = 'graphql-jit',
): Promise<GraphQLAnswer> {
  // A text of its own (a comment after it changes no location): no earlier test compiled it.
  const text = `${query}\n# ${randomUUID()}`;
  const firstRun = await engineOf(() => stack.graphql(text, options));
  const secondRun = await engineOf(() => stack.graphql(text, options));
  expect(firstRun.engine).toBe('graphql-js');
  expect(secondRun.engine).toBe(second);
  const [first, secondAnswer] = [firstRun.answer, secondRun.answer];
  compare(first, secondAnswer);
  return first;
}

function compare(first: GraphQLAnswer, second: GraphQLAnswer): void {
  expect(second.status).toBe(first.status);
  expect(second.body).toEqual(first.body);
  // Key order too: clients may print the answer as it comes.
  expect(JSON.stringify(second.body)).toBe(JSON.stringify(first.body));
}

describe('answers graphql-js would give', () => {
  it('the dashboard', async () => {
    const answer = await twice(dashboardQuery, { token });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?.dashboard).toBeTruthy();
  });

  it('__typename at every level, aliases and fragments', async () => {
    const query = `query Mine { __typename me { __typename ...U n2: name } }
      fragment U on User { id name createdAt orders(limit: 1) { __typename total { formatted } } }`;
    const answer = await twice(query, { token });
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({ __typename: 'Query', me: { __typename: 'User', id: 'u2' } });
  });

  it('introspection', async () => {
    const answer = await twice(
      '{ __typename __schema { queryType { name } } __type(name: "Money") { name } }',
      undefined,
      'graphql-js',
    );
    expect(answer.body).toEqual({
      data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } }, __type: { name: 'Money' } },
    });
  });
});

describe('errors with a code pass through unchanged', () => {
  it('a failed service: its nullable field is null with UPSTREAM_ERROR', async () => {
    stack.services.setFault('orders', { kind: 'status', status: 500 });
    const answer = await twice(dashboardQuery, { token });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['dashboard', 'recentOrders'],
        locations: [{ line: 4, column: 5 }],
        extensions: expect.objectContaining({ code: 'UPSTREAM_ERROR', service: 'orders' }),
      }),
    ]);
    expect(answer.body.data?.dashboard).toMatchObject({ recentOrders: null });
  });

  it('a failed non-null field: null propagates to the nullable parent', async () => {
    stack.services.setFault('users', { kind: 'refuse' });
    const answer = await twice('{ dashboard { user { name } unreadCount } }', { token });
    expect(answer.body.data).toEqual({ dashboard: null });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['dashboard', 'user'],
        extensions: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE' }),
      }),
    ]);
  });

  it('@auth without a signed-in user', async () => {
    const answer = await twice('{ me { name } products(ids: ["p1"]) { id } }');
    expect(answer.body).toEqual({
      data: { me: null, products: [{ id: 'p1' }] },
      errors: [
        {
          message: 'me requires a signed-in user',
          locations: [{ line: 1, column: 3 }],
          path: ['me'],
          extensions: { code: 'UNAUTHENTICATED' },
        },
      ],
    });
  });
});

describe("graphql-jit's own errors, rebuilt as graphql-js words them", () => {
  it('null for a non-null field asked twice under one name; nothing after it in the nulled branch', async () => {
    const answer = await twice(
      chainQuery((next) => `label label madeAt ${next}`),
      { headers: deep },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([
      {
        message: 'Cannot return null for non-nullable field Link.label.',
        locations: [
          { line: 1, column: 297 },
          { line: 1, column: 303 },
        ],
        path: [...linkAt(12), 'label'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    // Link 11's `next` is null: graphql-js never reaches link 14's date, graphql-jit does.
    let link = answer.body.data?.chain as Record<string, unknown>;
    for (let level = 1; level < 11; level++) link = link.next as Record<string, unknown>;
    expect(link).toEqual({ label: 'link 11', madeAt: '2026-11-27T12:00:00Z', next: null });
  });

  it('a DateTime it cannot serialize, before the null in field order: both, in that order', async () => {
    const answer = await twice(
      chainQuery((next) => `madeAt ${next} label`),
      { headers: deep },
    );
    expect(answer.body.errors).toEqual([
      {
        message: 'DateTime cannot represent a value that is not an RFC 3339 timestamp',
        locations: [{ line: 1, column: 193 }],
        path: [...linkAt(14), 'madeAt'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
      {
        message: 'Cannot return null for non-nullable field Link.label.',
        locations: [{ line: 1, column: 261 }],
        path: [...linkAt(12), 'label'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
  });

  it('a null argument from a variable whose default made it valid', async () => {
    const query = 'query One($id: ID = "u1") { user(id: $id) { id } }';
    const answer = await twice(query, { token: await tokenFor('u1', 'ADMIN'), variables: { id: null } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      data: { user: null },
      errors: [
        {
          message: 'Argument "id" of non-null type "ID!" must not be null.',
          locations: [{ line: 1, column: 38 }],
          path: ['user'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ],
    });
  });
});

describe('graphql-js itself', () => {
  it('invalid variables: 400 BAD_USER_INPUT, no upstream call', async () => {
    const query = 'query P($ids: [ID!]!) { products(ids: $ids) { id } }';
    const answer = await twice(query, { variables: { ids: ['p1', null] } }, 'graphql-js');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      errors: [
        {
          message:
            'Variable "$ids" got invalid value null at "ids[1]"; Expected non-nullable type "ID!" not to be null.',
          locations: [{ line: 1, column: 9 }],
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ],
    });
    expect(stack.services.requests('products')).toHaveLength(0);
  });

  it('a union: the runtime type error graphql-jit words differently', async () => {
    const answer = await twice('{ shape { ... on Link { label } } }', { headers: deep }, 'graphql-js');
    expect(answer.body.data).toEqual({ shape: null });
    expect(answer.body.errors?.[0]?.message).toBe(
      'Abstract type "Shape" must resolve to an Object type at runtime for field "Query.shape". Either the "Shape" type should provide a "resolveType" function or each possible type should provide an "isTypeOf" function.',
    );
  });

  it('mutations: a failed non-null field stops the ones after it', async () => {
    const [unread] = stack.services.data.notificationsByUser.get('u2')!;
    const query = `mutation { gone: markNotificationRead(id: "n-none") { id }
      read: markNotificationRead(id: "${unread!.id}") { id } }`;
    const answer = await twice(query, { token }, 'graphql-js');
    expect(answer.body.data).toBeNull();
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors?.[0]?.path).toEqual(['gone']);
    const posts = stack.services.requests('notifications').filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual(['/notifications/n-none/read', '/notifications/n-none/read']);
  });

  it('an operation name the document lacks', async () => {
    const send = () =>
      fetch(`${stack.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName: 'C' }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as GraphQLAnswer['body'] }));
    const first = await send();
    expect(await send()).toEqual(first);
    expect(first.body.errors?.[0]?.message).toBe('Unknown operation named "C".');
  });
});
