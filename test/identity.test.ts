// Identity through real HTTP: what the gateway does with a token or an API key, not how jose
// verifies one (test/auth.test.ts holds that matrix). Every rejection must cost no upstream call.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upstreamCalls } from './helpers/http.js';
import { type Stack, startStack, testSecret, tokenFor } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const webKey = 'web-key-0123456789abcdef';
const partnerKey = 'partner-key-fedcba9876543210';

/** Reaches a public field and an @auth one, so a request that got through would call services. */
const mixedQuery = '{ products(ids: ["p1"]) { id } dashboard { unreadCount } }';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

let stack: Stack;
let config: TempConfig;
beforeAll(async () => {
  config = await writeTempConfig(
    [
      'auth:',
      '  apiKeys:',
      `    - { key: "${webKey}", client: web, tier: pro }`,
      `    - { key: "${partnerKey}", client: partner, tier: free }`,
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

describe('a valid bearer token', () => {
  it('opens the dashboard and tells the services who is calling', async () => {
    const answer = await stack.graphql('{ dashboard { user { id } unreadCount } }', {
      token: await tokenFor('u2'),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data).toMatchObject({ dashboard: { user: { id: 'u2' } } });
    const [users] = stack.services.requests('users');
    expect(users!.headers['x-user-id']).toBe('u2');
    expect(users!.headers['x-user-role']).toBe('USER');
    expect(users!.headers['x-client-name']).toBe('anonymous');
    // The caller's credentials stay at the gateway.
    expect(users!.headers.authorization).toBeUndefined();
    expect(users!.headers.cookie).toBeUndefined();
  });

  it('me is the caller', async () => {
    const answer = await stack.graphql('{ me { id name role } }', { token: await tokenFor('u7') });
    const u7 = stack.services.data.users.get('u7')!;
    expect(answer.body).toEqual({ data: { me: { id: 'u7', name: u7.name, role: 'USER' } } });
  });
});

describe('no token', () => {
  it('nulls the @auth field with one UNAUTHENTICATED error and answers the rest (HTTP 200)', async () => {
    const answer = await stack.graphql(mixedQuery);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ products: [{ id: 'p1' }], dashboard: null });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.path).toEqual(['dashboard']);
    expect(answer.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
    expect(stack.services.requests('products')).toHaveLength(1);
    for (const service of ['users', 'orders', 'notifications'] as const) {
      expect(stack.services.requests(service)).toHaveLength(0);
    }
  });

  it('an empty Authorization header counts as no token', async () => {
    const answer = await stack.graphql(mixedQuery, { headers: { authorization: '' } });
    expect(answer.status).toBe(200);
    expect(answer.body.data?.products).toEqual([{ id: 'p1' }]);
  });
});

describe('an invalid token rejects the whole request: 401, one UNAUTHENTICATED error, no call', () => {
  const sign = (claims: Record<string, unknown>, secret = testSecret) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .sign(new TextEncoder().encode(secret));

  const cases: [string, () => Promise<string>][] = [
    ['expired', async () => `Bearer ${await sign({ role: 'USER', exp: nowSeconds() - 600 })}`],
    [
      'signed with another secret',
      async () =>
        `Bearer ${await sign({ role: 'USER', exp: nowSeconds() + 600 }, 'not-the-gateway-secret-0123456789')}`,
    ],
    [
      'alg none',
      async () =>
        `Bearer ${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u1', role: 'ADMIN', exp: nowSeconds() + 600 })}.`,
    ],
    ['garbage', async () => 'Bearer not.a.jwt'],
    ['without exp', async () => `Bearer ${await sign({ role: 'USER' })}`],
    ['with an unknown role', async () => `Bearer ${await sign({ role: 'ROOT', exp: nowSeconds() + 600 })}`],
    ['a Basic scheme', async () => 'Basic x'],
  ];

  for (const [name, authorization] of cases) {
    it(name, async () => {
      const answer = await stack.graphql(mixedQuery, { headers: { authorization: await authorization() } });
      expect(answer.status).toBe(401);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
      expect(answer.headers.get('x-request-id')).toBeTruthy();
      expect(upstreamCalls(stack.services)).toBe(0);
    });
  }

  it('even when the operation asks only for public fields', async () => {
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', { token: 'garbage' });
    expect(answer.status).toBe(401);
    expect(upstreamCalls(stack.services)).toBe(0);
  });
});

describe('roles', () => {
  it('user(id) as USER: FORBIDDEN at ["user"], no users call', async () => {
    const answer = await stack.graphql('{ user(id: "u5") { id } }', { token: await tokenFor('u2') });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ user: null });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.path).toEqual(['user']);
    expect(answer.body.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    expect(stack.services.requests('users')).toHaveLength(0);
  });

  it('user(id) without a token: UNAUTHENTICATED, not FORBIDDEN', async () => {
    const answer = await stack.graphql('{ user(id: "u5") { id } }');
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('user(id) as ADMIN: the user, and x-user-role ADMIN upstream', async () => {
    const answer = await stack.graphql('{ user(id: "u5") { id name email role } }', {
      token: await tokenFor('u1', 'ADMIN'),
    });
    const u5 = stack.services.data.users.get('u5')!;
    expect(answer.body).toEqual({
      data: { user: { id: 'u5', name: u5.name, email: u5.email, role: 'USER' } },
    });
    expect(stack.services.requests('users')[0]!.headers['x-user-role']).toBe('ADMIN');
  });

  it('user(id) as ADMIN for an unknown id: null without an error', async () => {
    const answer = await stack.graphql('{ user(id: "nope") { id } }', {
      token: await tokenFor('u1', 'ADMIN'),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { user: null } });
  });

  it('the role comes from the token, not from the users service (u1 is ADMIN there)', async () => {
    const answer = await stack.graphql('{ user(id: "u5") { id } }', { token: await tokenFor('u1', 'USER') });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a valid token for a user the users service does not know', () => {
  it('fails dashboard.user, which nulls the dashboard; products still answer', async () => {
    const answer = await stack.graphql(
      '{ products(ids: ["p1"]) { id } dashboard { user { id } unreadCount } }',
      { token: await tokenFor('u99999') },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ products: [{ id: 'p1' }], dashboard: null });
    expect(answer.body.errors).toHaveLength(1);
    expect(answer.body.errors![0]!.path).toEqual(['dashboard', 'user']);
    expect(answer.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('API keys and client names', () => {
  /** The x-client-name the products service received for one products query. */
  async function clientNameUpstream(headers: Record<string, string>, token?: string) {
    stack.services.clearRecords();
    const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }', { headers, token });
    expect(answer.status).toBe(200);
    const [call] = stack.services.requests('products');
    expect(call!.headers['x-api-key']).toBeUndefined();
    return call!.headers['x-client-name'];
  }

  it("a valid key's client goes upstream as x-client-name, and wins over the claimed name", async () => {
    expect(await clientNameUpstream({ 'x-api-key': webKey })).toBe('web');
    expect(await clientNameUpstream({ 'x-api-key': partnerKey })).toBe('partner');
    expect(await clientNameUpstream({ 'x-api-key': webKey, 'apollographql-client-name': 'mobile' })).toBe(
      'web',
    );
  });

  it('a key and a token together: the client from the key, the user from the token', async () => {
    const answer = await stack.graphql('{ me { id } }', {
      token: await tokenFor('u3'),
      headers: { 'x-api-key': webKey },
    });
    expect(answer.body).toEqual({ data: { me: { id: 'u3' } } });
    const [users] = stack.services.requests('users');
    expect(users!.headers['x-client-name']).toBe('web');
    expect(users!.headers['x-user-id']).toBe('u3');
  });

  it('a key alone is not a signed-in user', async () => {
    const answer = await stack.graphql('{ me { id } }', { headers: { 'x-api-key': webKey } });
    expect(answer.status).toBe(200);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('an unknown key: 401 UNAUTHENTICATED, no upstream call', async () => {
    for (const key of ['unknown-key-0123456789', webKey.toUpperCase(), webKey.slice(0, -1)]) {
      const answer = await stack.graphql(mixedQuery, {
        token: await tokenFor('u1'),
        headers: { 'x-api-key': key },
      });
      expect(answer.status).toBe(401);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(upstreamCalls(stack.services)).toBe(0);
  });

  it('without a key: apollographql-client-name when sane, else anonymous', async () => {
    expect(await clientNameUpstream({ 'apollographql-client-name': 'mobile' })).toBe('mobile');
    expect(await clientNameUpstream({})).toBe('anonymous');
    expect(await clientNameUpstream({ 'apollographql-client-name': 'bad name; drop table' })).toBe(
      'anonymous',
    );
  });
});
