// REST routes end to end: the real gateway proxies to the real demo services (which record every
// request they receive) and to a hand-written node:http upstream for what the demo cannot show
// (the raw request target, hop-by-hop headers in an answer).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RawAnswer, rawRequest, scrapeMetrics, waitFor } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, startStubService } from './helpers/stub-service.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

let stack: Stack;
let echo: StubService;
let config: TempConfig;
const logLines: Record<string, unknown>[] = [];
/** What the echo upstream received last: its request target and headers. */
let echoed: { url: string; headers: Record<string, unknown> } | undefined;

beforeAll(async () => {
  echo = await startStubService((request, response) => {
    echoed = { url: request.url ?? '', headers: { ...request.headers } };
    request.resume();
    request.on('end', () => {
      response.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'x-hop-answer',
        'x-hop-answer': 'must not pass',
        'keep-alive': 'timeout=1234',
        'proxy-authenticate': 'Basic realm="upstream"',
        'x-end-to-end': 'kept',
        'set-cookie': 'session=upstream',
        'x-request-id': 'the-service-own-id',
        'content-length': '6',
      });
      response.end('echoed');
    });
  });
  config = await writeTempConfig(`
upstreams:
  products:
    requestHeaders: { set: { x-api-version: "2", x-set-by: upstream }, remove: [x-client-name] }
  echo: { urls: ["${echo.url}"] }
routes:
  - path: /api/products
    upstream: products
    rewrite: /products
    methods: [GET, HEAD]
    requestHeaders: { set: { x-set-by: route, authorization: "Basic c3ZjOnNlY3JldA==" } }
    responseHeaders: { set: { x-served-by: switchboard }, remove: [cache-control] }
  - { path: /api/orders, upstream: orders, rewrite: /orders, auth: user }
  - { path: /api/admin/users, upstream: users, rewrite: /users, auth: admin }
  - { path: /users, upstream: users }
  - { path: /raw/, upstream: echo, rewrite: /base, methods: [GET, HEAD, POST] }
`);
  stack = await startStack({
    configFile: config.file,
    logStream: { write: (line: string) => void logLines.push(JSON.parse(line)) },
  });
});

afterAll(async () => {
  await stack?.close();
  await echo?.close();
  await config?.remove();
});

beforeEach(() => {
  stack.services.clearRecords();
  echoed = undefined;
  logLines.length = 0;
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
  rawRequest(stack.url, { method, path, headers });

/** The coded body of an answer the route gave itself. */
const errorOf = (answer: RawAnswer) => (JSON.parse(answer.text) as { error: Record<string, unknown> }).error;

describe('matching and rewriting', () => {
  it('sends the rewritten path with the query string unchanged, and answers what the service answered', async () => {
    const direct = await (await fetch(`${stack.services.urls.products[0]}/products?ids=p3,p1`)).json();
    stack.services.clearRecords();
    const answer = await get('/api/products?ids=p3,p1&note=a%20b');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual(direct);
    const [sent, ...more] = stack.services.requests('products');
    expect(more).toEqual([]);
    expect(sent).toMatchObject({ method: 'GET', path: '/products', query: { ids: 'p3,p1', note: 'a b' } });
    const { host: _host, ...headers } = sent!.headers;
    // The allow-list, the service's transform (x-client-name removed), then the route's, which
    // wins over the service's and may set what the allow-list never passes.
    expect(headers).toEqual({
      // The gateway's own connection to the service, not anything of the caller's.
      connection: 'keep-alive',
      'x-request-id': answer.headers['x-request-id'],
      'x-api-version': '2',
      'x-set-by': 'route',
      authorization: 'Basic c3ZjOnNlY3JldA==',
    });
  });

  it('keeps the request target byte for byte, and matches the path or what is under it', async () => {
    await get('/raw/a%2Fb/c?x=1%2B2&x=3&flag');
    expect(echoed?.url).toBe('/base/a%2Fb/c?x=1%2B2&x=3&flag');
    await get('/raw');
    expect(echoed?.url).toBe('/base');
    await get('/raw/?q');
    expect(echoed?.url).toBe('/base/?q');
    // A route without rewrite keeps its prefix: the demo answers its own 404, passed on as it is.
    const kept = await get('/users/u2');
    expect(kept.status).toBe(200);
    expect(stack.services.requests('users').map((r) => r.path)).toEqual(['/users/u2']);
    const missing = await get('/users/nobody');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toEqual({ error: 'user nobody not found' });
  });

  it('answers 404 for a path no route claims, without calling anyone', async () => {
    for (const path of ['/nope', '/rawx', '/api/productsx?ids=p1', '/API/products']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('NOT_FOUND');
    }
    expect(echoed).toBeUndefined();
    expect(stack.services.requests('products')).toEqual([]);
  });

  it('refuses a path that climbs out of its route, also percent-encoded', async () => {
    for (const path of ['/api/products/../users?ids=u1', '/api/products/%2E%2e/users', '/raw/a/%2e%2e%2fx']) {
      const answer = await get(path);
      expect(answer.status, path).toBe(400);
      expect(errorOf(answer)).toEqual({ code: 'BAD_REQUEST', message: 'The path has "." or ".." segments' });
    }
    expect(echoed).toBeUndefined();
    expect(stack.services.requests('users')).toEqual([]);
  });

  it('answers 405 with Allow for a method the route does not list', async () => {
    const answer = await get('/api/products?ids=p1', {}, 'DELETE');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
    expect(errorOf(answer)).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'Allowed methods: GET, HEAD' });
    expect(stack.services.requests('products')).toEqual([]);
  });

  it('answers HEAD with the headers the service gave and no body', async () => {
    const head = await get('/raw/h', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-length']).toBe('6');
    expect(echoed?.url).toBe('/base/h');
  });
});

describe('auth levels', () => {
  it('user: 401 without a valid token, the call with one', async () => {
    const anonymous = await get('/api/orders?userIds=u2');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect(errorOf(anonymous).code).toBe('UNAUTHENTICATED');
    const expired = await get('/api/orders?userIds=u2', {
      authorization: `Bearer ${await tokenFor('u2', 'USER', '-1m')}`,
    });
    expect(expired.status).toBe(401);
    expect(stack.services.requests('orders')).toEqual([]);
    const signedIn = await get('/api/orders?userIds=u2', { authorization: `Bearer ${await tokenFor('u2')}` });
    expect(signedIn.status).toBe(200);
    expect(stack.services.requests('orders')[0]?.headers).toMatchObject({
      'x-user-id': 'u2',
      'x-user-role': 'USER',
    });
  });

  it('admin: 403 for a user, the call for an admin', async () => {
    const user = await get('/api/admin/users?ids=u1', { authorization: `Bearer ${await tokenFor('u2')}` });
    expect(user.status).toBe(403);
    expect(errorOf(user)).toEqual({ code: 'FORBIDDEN', message: 'This route is for administrators' });
    expect(stack.services.requests('users')).toEqual([]);
    const admin = await get('/api/admin/users?ids=u1', {
      authorization: `Bearer ${await tokenFor('u1', 'ADMIN')}`,
    });
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.text)).toEqual([expect.objectContaining({ id: 'u1' })]);
  });

  it('none: still refuses a token that is present but invalid, like GraphQL does', async () => {
    const answer = await get('/api/products?ids=p1', { authorization: 'Bearer not.a.token' });
    expect(answer.status).toBe(401);
    expect(stack.services.requests('products')).toEqual([]);
  });
});

describe('headers', () => {
  it('passes only the allow-list upstream: never authorization, cookie or a hop-by-hop header', async () => {
    const token = await tokenFor('u2');
    await rawRequest(stack.url, {
      method: 'POST',
      path: '/raw/in',
      body: 'hello',
      headers: {
        authorization: `Bearer ${token}`,
        cookie: 'session=caller',
        connection: 'x-hop-request',
        'x-hop-request': 'must not pass',
        'keep-alive': 'timeout=9',
        te: 'trailers',
        'proxy-authorization': 'Basic Y2FsbGVyOnB3',
        'x-custom': 'not on the list',
        'user-agent': 'test',
        'content-type': 'text/plain',
        accept: 'text/plain',
        'accept-encoding': 'gzip',
        'if-none-match': '"v1"',
        'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'x-request-id': 'caller-chosen-id',
      },
    });
    const { host: _host, ...headers } = echoed!.headers;
    expect(headers).toEqual({
      connection: 'keep-alive',
      'x-request-id': 'caller-chosen-id',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'x-client-name': 'anonymous',
      'x-user-id': 'u2',
      'x-user-role': 'USER',
      'content-type': 'text/plain',
      'content-length': '5',
      accept: 'text/plain',
      'accept-encoding': 'gzip',
      'if-none-match': '"v1"',
      'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
    });
  });

  it('answers with the end-to-end headers only; the gateway keeps its own x-request-id', async () => {
    const answer = await get('/raw/out', { 'x-request-id': 'caller-id' });
    expect(answer.text).toBe('echoed');
    expect(answer.headers).toMatchObject({
      'x-end-to-end': 'kept',
      'set-cookie': ['session=upstream'],
      'content-type': 'text/plain',
      'x-request-id': 'caller-id',
    });
    expect(answer.headers['x-hop-answer']).toBeUndefined();
    expect(answer.headers['proxy-authenticate']).toBeUndefined();
    expect(answer.headers['keep-alive']).not.toBe('timeout=1234');
    expect(answer.headers.connection).not.toContain('x-hop-answer');
  });

  it("applies the service's transform to GraphQL's calls too, and the route's to the route only", async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }');
    expect(answer.body).toEqual({ data: { products: [{ id: 'p1' }] } });
    const [sent] = stack.services.requests('products');
    const { host: _host, ...headers } = sent!.headers;
    expect(headers).toEqual({
      connection: 'keep-alive',
      accept: 'application/json',
      'x-request-id': answer.headers.get('x-request-id'),
      'x-api-version': '2',
      'x-set-by': 'upstream',
    });
  });

  it("applies the route's response transform after the service's headers", async () => {
    const answer = await get('/api/products?ids=p1');
    expect(answer.headers['x-served-by']).toBe('switchboard');
    // The demo products answer `cache-control: no-store` here; the route removes it.
    expect(answer.headers['cache-control']).toBeUndefined();
    expect(answer.headers['content-type']).toBe('application/json');
  });
});

describe('metrics and logs', () => {
  it('counts under the route, and logs one line without the query string or credentials', async () => {
    const token = await tokenFor('u2');
    await get('/api/orders?userIds=u2&secret-ish=1', { authorization: `Bearer ${token}` });
    // Both are written once the answer has left (onResponse).
    await waitFor(() => logLines.some((line) => line.msg === 'route request'), 'the route log line');
    const metrics = await scrapeMetrics(stack.url);
    expect(metrics).toMatch(/switchboard_http_requests_total\{route="\/api\/orders",status="200"\} [1-9]/);
    const lines = logLines.filter((line) => line.msg === 'route request');
    expect(lines).toEqual([
      expect.objectContaining({
        route: '/api/orders',
        service: 'orders',
        method: 'GET',
        status: 200,
        client: 'anonymous',
        upstreamCalls: 1,
      }),
    ]);
    const text = JSON.stringify(logLines);
    expect(text).not.toContain('secret-ish');
    expect(text).not.toContain(token);
  });
});
