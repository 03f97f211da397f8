// Per-client schemas end to end: a real gateway whose clients.dir holds two client extensions,
// the demo services, and a hand-written `loyalty` service (a client-defined upstream) behind @rest.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, sendJson, startStubService } from './helpers/stub-service.js';
import { writeTempConfig } from './helpers/temp-config.js';

const mobileKey = 'mobile-key-0123456789abcdef';
const webKey = 'web-key-0123456789abcdef';
const partnerKey = 'partner-key-0123456789abcdef';

const mobileSdl = `"A loyalty standing (loyalty service)."
type Loyalty {
  "Points collected."
  points: Int!
  "Level name."
  tier: String!
}

extend type User {
  "Loyalty standing: one loyalty call per user."
  loyalty: Loyalty @rest(service: "loyalty", path: "/loyalty/{$parent.id}", select: "data")
}

extend type Dashboard {
  "Unread notifications only."
  unread(limit: Int = 3): [Notification!]
    @rest(service: "notifications", path: "/notifications?userIds={$parent.userId}&unreadOnly=true&limit={$args.limit}")
}

extend type Query {
  "Searches loyalty levels."
  loyaltySearch(term: String!): [Loyalty!]
    @rest(service: "loyalty", path: "/search/{$args.term}?q={$args.term}", timeoutMs: 200)
  "At most twice per caller in 10 s."
  loyaltyQuota(id: ID!): Loyalty @rateLimit(max: 2, window: "10s") @rest(service: "loyalty", path: "/loyalty/{$args.id}", select: "data")
  "Admins only."
  loyaltyAudit(id: ID!): Loyalty @auth(requires: ADMIN) @rest(service: "loyalty", path: "/loyalty/{$args.id}", select: "data")
}
`;

const partnerSdl = `"A product's rating (loyalty service)."
type Rating {
  "The product."
  productId: ID!
  "One to five."
  stars: Int!
}

extend type Product {
  "Its rating, batched across every product of the response."
  rating: Rating @rest(service: "loyalty", path: "/ratings", select: "items", batch: { param: "productIds", key: "productId", from: "$parent.id" })
  "All its ratings, ten products per call."
  ratings: [Rating!] @rest(service: "loyalty", path: "/ratings?kind=all", select: "items", batch: { param: "productIds", key: "productId", from: "$parent.id", maxSize: 10 })
}
`;

const kioskSdl = `extend type Query {
  "Served by a service this deployment does not declare."
  kioskStatus: String @rest(service: "kiosk", path: "/status")
}
`;

type LoyaltyMode = 'ok' | 'fail' | 'hang' | 'misfit';

let stack: Stack;
let loyalty: StubService;
let mode: LoyaltyMode = 'ok';
let loyaltyHeaders: IncomingHttpHeaders[] = [];
let dir: string;
let removeConfig: () => Promise<void>;
const logLines: string[] = [];

function loyaltyCalls(prefix: string): URL[] {
  return loyalty.requests.filter((r) => r.url.startsWith(prefix)).map((r) => new URL(r.url, 'http://stub'));
}

beforeAll(async () => {
  loyalty = await startStubService((request, response) => {
    loyaltyHeaders.push(request.headers);
    const url = new URL(request.url ?? '/', 'http://stub');
    if (mode === 'hang') return; // never answers: the field's own timeout must end it
    if (mode === 'fail') {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"boom"}');
      return;
    }
    if (url.pathname.startsWith('/loyalty/')) {
      const id = decodeURIComponent(url.pathname.slice('/loyalty/'.length));
      if (id === 'u2') {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such member"}');
        return;
      }
      const points = mode === 'misfit' ? 'many' : id.length * 100;
      sendJson(response, { data: { points, tier: `tier-of-${id}` } });
      return;
    }
    if (url.pathname === '/ratings') {
      const ids = (url.searchParams.get('productIds') ?? '').split(',');
      // Products whose id ends in 7 have no rating; the others one (two with kind=all).
      const rated = ids.filter((id) => !id.endsWith('7'));
      const copies = url.searchParams.get('kind') === 'all' ? 2 : 1;
      const items = rated.flatMap((productId) =>
        Array.from({ length: copies }, (_, i) => ({ productId, stars: ((productId.length + i) % 5) + 1 })),
      );
      sendJson(response, { items: items.reverse() });
      return;
    }
    if (url.pathname.startsWith('/search/')) {
      sendJson(response, [{ points: 1, tier: url.searchParams.get('q') }]);
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
  });
  dir = await mkdtemp(join(tmpdir(), 'switchboard-clients-'));
  for (const [client, sdl] of [
    ['mobile', mobileSdl],
    ['partner', partnerSdl],
    ['kiosk', kioskSdl],
  ] as const) {
    await mkdir(join(dir, client));
    await writeFile(join(dir, client, 'schema.graphql'), sdl);
  }
  const config = await writeTempConfig(`
clients: { dir: ${JSON.stringify(dir)} }
upstreams:
  loyalty: { urls: ["${loyalty.url}"], retries: 0, timeoutMs: 2000 }
auth:
  apiKeys:
    - { key: ${mobileKey}, client: mobile, tier: free }
    - { key: ${webKey}, client: web, tier: free }
    - { key: ${partnerKey}, client: partner, tier: free }
rateLimits:
  tiers:
    anonymous: { requests: 100000, windowSeconds: 60 }
    free: { requests: 100000, windowSeconds: 60 }
`);
  removeConfig = config.remove;
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  stack = await startStack({ configFile: config.file, logStream });
});

afterAll(async () => {
  await stack?.close();
  await loyalty?.close();
  await removeConfig?.();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  mode = 'ok';
  loyalty.requests.length = 0;
  loyaltyHeaders = [];
  stack.services.clearRecords();
});

describe('one instance, a schema per client', () => {
  const unreadQuery = '{ dashboard { unread(limit: 2) { id read } } }';

  it("answers mobile's field for mobile, through one notifications call", async () => {
    const token = await tokenFor('u1');
    const answer = await stack.graphql(unreadQuery, { token, headers: { 'x-api-key': mobileKey } });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    const unread = (answer.body.data!.dashboard as { unread: { read: boolean }[] }).unread;
    expect(unread.length).toBeGreaterThan(0);
    expect(unread.length).toBeLessThanOrEqual(2);
    expect(unread.every((n) => n.read === false)).toBe(true);
    const calls = stack.services.requests('notifications');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.query).toEqual({ userIds: 'u1', unreadOnly: 'true', limit: '2' });
  });

  it('refuses the same query as web: a validation error, no upstream call', async () => {
    const token = await tokenFor('u1');
    const variants: Record<string, string>[] = [
      { 'x-api-key': webKey },
      {},
      { 'apollographql-client-name': 'web' },
    ];
    for (const headers of variants) {
      const answer = await stack.graphql(unreadQuery, { token, headers });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(stack.services.requests('notifications')).toHaveLength(0);
  });

  it("introspection as web lists none of mobile's fields or types; as mobile it does", async () => {
    const query =
      '{ dashboard: __type(name: "Dashboard") { fields { name } } loyalty: __type(name: "Loyalty") { name } }';
    const names = (answer: Awaited<ReturnType<Stack['graphql']>>) =>
      (answer.body.data!.dashboard as { fields: { name: string }[] }).fields.map((f) => f.name);
    const web = await stack.graphql(query, { headers: { 'x-api-key': webKey } });
    expect(names(web)).not.toContain('unread');
    expect(web.body.data?.loyalty).toBeNull();
    const mobile = await stack.graphql(query, { headers: { 'apollographql-client-name': 'mobile' } });
    expect(names(mobile)).toContain('unread');
    expect(mobile.body.data?.loyalty).toEqual({ name: 'Loyalty' });
    // Partner sees its own additions, not mobile's.
    const partner = await stack.graphql('{ __type(name: "Product") { fields { name } } }', {
      headers: { 'x-api-key': partnerKey },
    });
    const productFields = (partner.body.data!.__type as { fields: { name: string }[] }).fields.map(
      (f) => f.name,
    );
    expect(productFields).toEqual(expect.arrayContaining(['rating', 'ratings']));
    expect(names(await stack.graphql(query, { headers: { 'x-api-key': partnerKey } }))).not.toContain(
      'unread',
    );
  });

  it("an API key's client wins over the header, which only selects a variant", async () => {
    const token = await tokenFor('u1');
    const asWeb = await stack.graphql(unreadQuery, {
      token,
      headers: { 'x-api-key': webKey, 'apollographql-client-name': 'mobile' },
    });
    expect(asWeb.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // The header grants nothing: mobile's @auth(requires: ADMIN) field still needs an admin.
    const audit = await stack.graphql('{ loyaltyAudit(id: "u5") { points } }', {
      token,
      headers: { 'apollographql-client-name': 'mobile' },
    });
    expect(audit.status).toBe(200);
    expect(audit.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(loyaltyCalls('/loyalty')).toHaveLength(0);
    const admin = await stack.graphql('{ loyaltyAudit(id: "u5") { points } }', {
      token: await tokenFor('u1', 'ADMIN'),
      headers: { 'apollographql-client-name': 'mobile' },
    });
    expect(admin.body).toEqual({ data: { loyaltyAudit: { points: 200 } } });
  });

  it('@rateLimit and the operation limits apply in a variant as in the base', async () => {
    const token = await tokenFor('u9');
    const headers = { 'x-api-key': mobileKey };
    const codes: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await stack.graphql('{ loyaltyQuota(id: "u9") { points } }', { token, headers });
      codes.push(answer.body.errors?.[0]?.extensions?.code ?? 'ok');
    }
    expect(codes).toEqual(['ok', 'ok', 'RATE_LIMITED']);
    expect(loyaltyCalls('/loyalty')).toHaveLength(2);
    // 31 aliases of a mobile field: refused before any upstream call, like in the base schema.
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: loyaltySearch(term: "x") { tier }`).join(
      ' ',
    );
    const refused = await stack.graphql(`{ ${aliases} }`, { headers });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(loyaltyCalls('/search')).toHaveLength(0);
  });

  it('?client= opens the IDE on that client, whose requests then select its variant by header', async () => {
    const clientOfPage = async (path: string) => {
      const response = await fetch(`${stack.url}${path}`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const settings = /<script type="application\/json" id="ide-settings">(.*?)<\/script>/s.exec(
        await response.text(),
      )?.[1];
      return (JSON.parse(settings ?? '{}') as { client?: string }).client;
    };
    // The page puts `apollographql-client-name: mobile` in its headers (test/ide.test.ts).
    expect(await clientOfPage('/graphql?client=mobile')).toBe('mobile');
    expect(await clientOfPage('/graphql')).toBeUndefined();
  });

  it('a client without a folder gets the base schema', async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', {
      headers: { 'apollographql-client-name': 'tv-app' },
    });
    expect(answer.body).toEqual({ data: { products: [{ id: 'p1' }] } });
    const refused = await stack.graphql('{ products(ids: ["p1"]) { rating { stars } } }', {
      headers: { 'apollographql-client-name': 'tv-app' },
    });
    expect(refused.status).toBe(400);
  });
});

describe('@rest, single form', () => {
  it('picks the sub-object out of the answer and sends only the allow-listed headers', async () => {
    const token = await tokenFor('u1');
    const answer = await stack.graphql('{ me { id loyalty { points tier } } }', {
      token,
      headers: { 'x-api-key': mobileKey, cookie: 'session=secret', 'x-request-id': 'rest-req-1' },
    });
    expect(answer.body).toEqual({ data: { me: { id: 'u1', loyalty: { points: 200, tier: 'tier-of-u1' } } } });
    expect(loyaltyCalls('/loyalty').map((u) => u.pathname)).toEqual(['/loyalty/u1']);
    const headers = loyaltyHeaders[0]!;
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers['x-user-id']).toBe('u1');
    expect(headers['x-client-name']).toBe('mobile');
    expect(headers['x-request-id']).toBe('rest-req-1');
  });

  it('answers null without an error when the service says 404', async () => {
    const answer = await stack.graphql('{ me { id loyalty { points } } }', {
      token: await tokenFor('u2'),
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.body).toEqual({ data: { me: { id: 'u2', loyalty: null } } });
  });

  it('URL-encodes {$args.x} in the path and in the query string', async () => {
    const term = 'a b/c?&d=é';
    const answer = await stack.graphql('query ($t: String!) { loyaltySearch(term: $t) { tier } }', {
      variables: { t: term },
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.body).toEqual({ data: { loyaltySearch: [{ tier: term }] } });
    const raw = loyalty.requests.find((r) => r.url.startsWith('/search/'))!.url;
    expect(raw.split('?')[0]).toBe(`/search/${encodeURIComponent(term)}`);
  });

  it("stops at the field's own timeout with UPSTREAM_TIMEOUT, the rest of the answer intact", async () => {
    mode = 'hang';
    const answer = await stack.graphql('{ loyaltySearch(term: "x") { tier } products(ids: ["p1"]) { id } }', {
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ loyaltySearch: null, products: [{ id: 'p1' }] });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]).toMatchObject({
      path: ['loyaltySearch'],
      extensions: { code: 'UPSTREAM_TIMEOUT', service: 'loyalty' },
    });
  });

  it('an answer that does not fit the field type is UPSTREAM_ERROR, not an internal error', async () => {
    mode = 'misfit';
    const answer = await stack.graphql('{ me { id loyalty { points } } }', {
      token: await tokenFor('u1'),
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.body.data).toEqual({ me: { id: 'u1', loyalty: null } });
    expect(answer.body.errors![0]).toMatchObject({
      path: ['me', 'loyalty'],
      extensions: { code: 'UPSTREAM_ERROR', service: 'loyalty' },
    });
    expect(answer.body.errors![0]!.message).toContain('points');
  });

  it('a service not under upstreams: a start-up warning, and its fields answer UPSTREAM_UNAVAILABLE', async () => {
    expect(
      logLines.some(
        (line) =>
          line.includes('kiosk') && line.includes('not under upstreams') && line.includes('"level":40'),
      ),
    ).toBe(true);
    const answer = await stack.graphql('{ kioskStatus }', {
      headers: { 'apollographql-client-name': 'kiosk' },
    });
    expect(answer.body.data).toEqual({ kioskStatus: null });
    expect(answer.body.errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      service: 'kiosk',
    });
  });
});

describe('@rest: a value is one value, whatever it holds', () => {
  it("a token subject holding a comma never becomes two users' ids: null, no call", async () => {
    const answer = await stack.graphql('{ dashboard { unread(limit: 2) { id } } }', {
      token: await tokenFor('u2,u1'),
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.body).toEqual({ data: { dashboard: { unread: null } } });
    expect(stack.services.requests('notifications')).toHaveLength(0);
  });

  it.each([
    ['a comma in a query value', 'a,b', /argument term must not contain a comma/],
    ['a dot-segment', '..', /argument term must be a path segment/],
    ['a single dot', '.', /argument term must be a path segment/],
  ])('an argument with %s is BAD_USER_INPUT, with no call', async (_what, term, message) => {
    const answer = await stack.graphql('query ($t: String!) { loyaltySearch(term: $t) { tier } }', {
      variables: { t: term },
      headers: { 'x-api-key': mobileKey },
    });
    expect(answer.body.data).toEqual({ loyaltySearch: null });
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        path: ['loyaltySearch'],
        message: expect.stringMatching(message),
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
    expect(loyalty.requests).toHaveLength(0);
  });

  it("a failed call's log line names the path template, never the argument's value", async () => {
    mode = 'fail';
    logLines.length = 0;
    await stack.graphql('{ loyaltyQuota(id: "member-secret-4471") { points } }', {
      headers: { 'x-api-key': mobileKey },
    });
    const failures = logLines.filter((line) => line.includes('upstream call failed'));
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.join('\n')).toContain('"path":"/loyalty/{$args.id}"');
    expect(logLines.join('\n')).not.toContain('member-secret-4471');
  });
});

describe('@rest, batched form', () => {
  const thirty = Array.from({ length: 30 }, (_, i) => `p${i + 1}`);

  it('thirty parents make exactly one call, each parent matched to its own record', async () => {
    const answer = await stack.graphql(
      'query ($ids: [ID!]!) { products(ids: $ids) { id rating { productId stars } } }',
      {
        variables: { ids: thirty },
        headers: { 'x-api-key': partnerKey },
      },
    );
    expect(answer.body.errors).toBeUndefined();
    const products = answer.body.data?.products as { id: string; rating: { productId: string } | null }[];
    expect(products.map((p) => p.id)).toEqual(thirty);
    for (const product of products) {
      if (product.id.endsWith('7')) expect(product.rating).toBeNull();
      else expect(product.rating?.productId).toBe(product.id);
    }
    const calls = loyaltyCalls('/ratings');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.searchParams.get('productIds')!.split(',').sort()).toEqual([...thirty].sort());
    // The fan-out report counts the keys of a batched @rest call like those of a built-in loader.
    const traced = await stack.graphql('query ($ids: [ID!]!) { products(ids: $ids) { rating { stars } } }', {
      variables: { ids: thirty },
      headers: { 'x-api-key': partnerKey, 'x-switchboard-trace': '1' },
    });
    const fanout = traced.body.extensions?.fanout as { calls: { service: string; batchSize?: number }[] };
    expect(fanout.calls.find((c) => c.service === 'loyalty')?.batchSize).toBe(30);
  });

  it('a list field takes every record of its key, in calls of at most maxSize keys', async () => {
    const answer = await stack.graphql(
      'query ($ids: [ID!]!) { products(ids: $ids) { id ratings { stars } } }',
      {
        variables: { ids: thirty },
        headers: { 'x-api-key': partnerKey },
      },
    );
    expect(answer.body.errors).toBeUndefined();
    const products = answer.body.data?.products as { id: string; ratings: unknown[] }[];
    for (const product of products) expect(product.ratings).toHaveLength(product.id.endsWith('7') ? 0 : 2);
    const calls = loyaltyCalls('/ratings');
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.searchParams.get('kind')).toBe('all');
      expect(call.searchParams.get('productIds')!.split(',')).toHaveLength(10);
    }
  });

  it("the service's failure costs only that field: one coded error per parent, the rest answered", async () => {
    mode = 'fail';
    const answer = await stack.graphql(
      'query ($ids: [ID!]!) { products(ids: $ids) { id name rating { stars } } }',
      {
        variables: { ids: thirty.slice(0, 5) },
        headers: { 'x-api-key': partnerKey },
      },
    );
    expect(answer.status).toBe(200);
    const products = answer.body.data?.products as { name: string; rating: unknown }[];
    expect(products).toHaveLength(5);
    for (const product of products) {
      expect(product.name).toEqual(expect.any(String));
      expect(product.rating).toBeNull();
    }
    expect(answer.body.errors).toHaveLength(5);
    for (const [i, error] of answer.body.errors!.entries()) {
      expect(error.path).toEqual(['products', i, 'rating']);
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', service: 'loyalty' });
    }
    expect(loyaltyCalls('/ratings')).toHaveLength(1);
  });
});
