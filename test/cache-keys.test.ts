// What every cache keys by (docs/caching.md), proved input by input: a cached answer is only ever
// served to callers it was made for. Each test first shows the cache does answer a repeat (so a
// miss after changing the input is the key at work, not a cache that never stored anything).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Stack, type StackOptions, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, startStubService } from './helpers/stub-service.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

async function stackWith(options: StackOptions, yaml?: string): Promise<Stack> {
  let config: TempConfig | undefined;
  if (yaml) {
    config = await writeTempConfig(yaml);
    cleanup.push(config.remove);
  }
  const stack = await startStack({ ...options, configFile: config?.file });
  cleanup.push(() => stack.close());
  return stack;
}

const hit = (answer: { headers: Headers }) => answer.headers.get('x-switchboard-cache') === 'hit';

/**
 * A products service whose answers depend on the caller: `Vary: X-User-Id`, fresh for 60 s,
 * names that say whom they were made for. A shared cache that ignored Vary would show it.
 */
async function perUserProducts(): Promise<StubService> {
  const stub = await startStubService((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
    const who = request.headers['x-user-id'] ?? 'anonymous';
    const body = JSON.stringify(
      ids.map((id) => ({
        id,
        name: `${id} for ${who}`,
        inStock: true,
        price: { amount: 100, currency: 'USD' },
      })),
    );
    response.writeHead(200, {
      'content-type': 'application/json',
      'cache-control': 'max-age=60',
      vary: 'X-User-Id',
    });
    response.end(body);
  });
  cleanup.push(() => stub.close());
  return stub;
}

describe('an upstream answer that varies on the user (Vary: X-User-Id)', () => {
  const query = '{ products(ids: ["p1", "p2"]) { id name } }';
  const names = (answer: { body: { data?: Record<string, unknown> | null } }) =>
    (answer.body.data!.products as { name: string }[]).map((p) => p.name);

  it('is never served to another user, nor to an anonymous caller, by any cache', async () => {
    const products = await perUserProducts();
    const stack = await stackWith({ env: { PRODUCTS_URL: products.url } });
    const [u1, u2] = [await tokenFor('u1'), await tokenFor('u2')];
    const first = await stack.graphql(query, { token: u1 });
    expect(names(first)).toEqual(['p1 for u1', 'p2 for u1']);
    // Public by the schema's hint, but built on a per-user answer: private, for u1 only.
    expect(first.headers.get('cache-control')).toBe('private, max-age=60');
    const repeat = await stack.graphql(query, { token: u1 });
    expect(hit(repeat)).toBe(true);
    expect(names(repeat)).toEqual(['p1 for u1', 'p2 for u1']);
    const callsSoFar = products.requests.length;

    const other = await stack.graphql(query, { token: u2 });
    expect(hit(other)).toBe(false);
    expect(names(other)).toEqual(['p1 for u2', 'p2 for u2']);
    const anonymous = await stack.graphql(query);
    expect(names(anonymous)).toEqual(['p1 for anonymous', 'p2 for anonymous']);
    // Nobody to key a per-user answer by: not stored, not reusable.
    expect(anonymous.headers.get('cache-control')).toBe('no-store');
    expect(products.requests.length).toBe(callsSoFar + 2);
  });

  it("the URL-keyed HTTP cache (mobile's productCards) keeps one variant per user", async () => {
    const products = await perUserProducts();
    const stack = await stackWith({ env: { PRODUCTS_URL: products.url } });
    const cards = (shape: string) => `{ productCards(ids: ["p1"]) { ${shape} } }`;
    const mobile = { 'apollographql-client-name': 'mobile' };
    const [u1, u2] = [await tokenFor('u1'), await tokenFor('u2')];
    await stack.graphql(cards('id name'), { token: u1, headers: mobile });
    // Another text (so not the response cache), the same upstream URL: the HTTP cache answers u1.
    await stack.graphql(cards('name id'), { token: u1, headers: mobile });
    expect(products.requests).toHaveLength(1);
    const other = await stack.graphql(cards('name'), { token: u2, headers: mobile });
    expect(other.body.data).toEqual({ productCards: [{ name: 'p1 for u2' }] });
    expect(products.requests).toHaveLength(2);
  });
});

describe('the response cache', () => {
  const privateUsers = { services: { userDataCacheControl: 'private, max-age=30' } };

  it("keys PRIVATE answers by role: an ADMIN answer is never served to the same user's USER token", async () => {
    const stack = await stackWith(privateUsers);
    const query = '{ user(id: "u5") { id name } }';
    const admin = await tokenFor('u1', 'ADMIN');
    expect((await stack.graphql(query, { token: admin })).body.errors).toBeUndefined();
    expect(hit(await stack.graphql(query, { token: admin }))).toBe(true);
    const demoted = await stack.graphql(query, { token: await tokenFor('u1', 'USER') });
    expect(hit(demoted)).toBe(false);
    expect(demoted.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keys by client: the same text for another client runs again', async () => {
    const stack = await stackWith({ services: { productsCacheControl: 'public, max-age=60' } });
    const query = '{ products(ids: ["p3"]) { id name } }';
    const as = (client: string) => ({ headers: { 'apollographql-client-name': client } });
    await stack.graphql(query, as('web'));
    expect(hit(await stack.graphql(query, as('web')))).toBe(true);
    expect(hit(await stack.graphql(query, as('mobile')))).toBe(false);
  });

  it('a caller asking for the fan-out report always runs the operation, and its answer is never stored', async () => {
    const stack = await stackWith({ services: { productsCacheControl: 'public, max-age=60' } });
    const query = '{ products(ids: ["p4"]) { id name } }';
    const trace = { headers: { 'x-switchboard-trace': '1' } };
    const traced = await stack.graphql(query, trace);
    expect(traced.body.extensions?.fanout).toBeDefined();
    expect(traced.headers.get('cache-control')).toBe('no-store');
    // Not stored: the next plain caller runs it too (and then stores it).
    expect(hit(await stack.graphql(query))).toBe(false);
    expect(hit(await stack.graphql(query))).toBe(true);
    // A traced caller is not served the stored answer: it gets its own report.
    const again = await stack.graphql(query, trace);
    expect(hit(again)).toBe(false);
    expect(again.body.extensions?.fanout).toBeDefined();
  });
});

describe('stale-if-error', () => {
  it("serves a PRIVATE answer's stale copy to its own user only, and never as cacheable", async () => {
    const stack = await stackWith(
      { services: { userDataCacheControl: 'private, max-age=0' } },
      'upstreams:\n  users: { retries: 0, staleIfErrorSeconds: 60 }\ncache: { responses: false }',
    );
    const [u1, u2] = [await tokenFor('u1'), await tokenFor('u2')];
    const query = '{ me { id name } }';
    const fresh = await stack.graphql(query, { token: u1 });
    expect(fresh.body.errors).toBeUndefined();
    await stack.graphql(query, { token: u2 }); // u2's own copy exists too
    stack.services.setFault('users', { kind: 'status', status: 503 });
    const stale = await stack.graphql(query, { token: u1 });
    expect(stale.body.data).toEqual(fresh.body.data);
    expect(stale.body.extensions?.degraded).toEqual([{ path: ['me'], service: 'users', ageSeconds: 0 }]);
    expect(stale.headers.get('cache-control')).toBe('no-store');
    const u3 = await stack.graphql(query, { token: await tokenFor('u3') });
    expect(u3.body.data).toEqual({ me: null });
    expect(u3.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'users' });
    const u2stale = await stack.graphql(query, { token: u2 });
    expect(u2stale.body.data).toEqual({ me: { id: 'u2', name: expect.any(String) } });
  });
});
