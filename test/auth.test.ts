import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import {
  type CryptoKey,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKeyRegistry } from '../src/auth/api-keys.js';
import { type Authenticator, createAuthenticator, type RequestHeaders } from '../src/auth/authenticate.js';
import { createJwtVerifier } from '../src/auth/jwt.js';
import type { ApiKeyConfig, JwtConfig } from '../src/config/types.js';

const SECRET = 'test-secret-that-is-long-enough-for-hs256!';
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'switchboard';
const API_KEYS: ApiKeyConfig[] = [
  { key: 'web-key-0123456789', client: 'web', tier: 'pro' },
  { key: 'mobile-key-9876543210', client: 'mobile', tier: 'free' },
];

interface Pair {
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  pem: string;
}

let rsa: Pair;
let otherRsa: Pair;
let ec: Pair;
let ed: Pair;
let jwksRsa: Pair;
let jwksServer: Server;
let jwksUrl: string;
let deadJwksUrl: string;
let jwksRequests = 0;
let privatePem: string;

async function pair(alg: string): Promise<Pair> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { publicKey, privateKey, pem: await exportSPKI(publicKey) };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  [rsa, otherRsa, ec, ed, jwksRsa] = await Promise.all([
    pair('RS256'),
    pair('RS256'),
    pair('ES256'),
    pair('EdDSA'),
    pair('RS256'),
  ]);
  privatePem = await exportPKCS8((await generateKeyPair('RS256', { extractable: true })).privateKey);
  const jwks = { keys: [{ ...(await exportJWK(jwksRsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  jwksServer = createServer((_req, res) => {
    jwksRequests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  jwksUrl = `http://127.0.0.1:${await listen(jwksServer)}/jwks`;
  // A port that was just released: connections to it are refused, like a JWKS endpoint that is down.
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  deadJwksUrl = `http://127.0.0.1:${closedPort}/jwks`;
});

afterAll(async () => {
  await new Promise((resolve) => jwksServer.close(resolve));
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

function jwtConfig(overrides: Partial<JwtConfig> = {}): JwtConfig {
  return { algorithms: ['HS256', 'RS256', 'ES256', 'EdDSA'], clockToleranceSeconds: 5, ...overrides };
}

function authenticator(jwt: Partial<JwtConfig>, apiKeys: ApiKeyConfig[] = []): Authenticator {
  return createAuthenticator({ jwt: jwtConfig(jwt), apiKeys });
}

interface SignOptions {
  alg?: string;
  key?: CryptoKey | Uint8Array;
  kid?: string;
  /** Claims; `sub: 'u1'` and `exp` one hour ahead unless given (undefined removes them). */
  claims?: JWTPayload;
}

function sign({ alg = 'HS256', key = new TextEncoder().encode(SECRET), kid, claims = {} }: SignOptions = {}) {
  const payload: JWTPayload = { sub: 'u1', exp: nowSeconds() + 3600, ...claims };
  for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader(kid ? { alg, kid } : { alg }).sign(key);
}

const bearer = (token: string): RequestHeaders => ({ authorization: `Bearer ${token}` });

/** Asserts the exact 401 shape, and that the message leaks none of `secrets`. */
async function expectUnauthenticated(promise: Promise<unknown>, message: RegExp, secrets: string[] = []) {
  const error = await promise.then(
    () => expect.unreachable('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  const gqlError = error as GraphQLError;
  expect(gqlError.extensions).toEqual({ code: 'UNAUTHENTICATED', http: { status: 401 } });
  expect(gqlError.message).toMatch(message);
  for (const secret of [...secrets, SECRET]) expect(gqlError.message).not.toContain(secret);
  expect(gqlError.message).not.toMatch(/\n\s+at /); // no stack
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('JWT accepted', () => {
  it('HS256 with the shared secret', async () => {
    const exp = nowSeconds() + 600;
    const identity = await authenticator({ secret: SECRET }).authenticate(
      bearer(await sign({ claims: { exp } })),
    );
    expect(identity).toEqual({
      userId: 'u1',
      role: 'USER',
      expiresAt: exp,
      clientName: 'anonymous',
      apiKey: false,
    });
  });

  it.each([
    ['RS256', () => rsa],
    ['ES256', () => ec],
    ['EdDSA', () => ed],
  ])('%s with jwt.publicKey', async (alg, keys) => {
    const auth = authenticator({ publicKey: keys().pem });
    const identity = await auth.authenticate(bearer(await sign({ alg, key: keys().privateKey })));
    expect(identity.userId).toBe('u1');
  });

  it('RS256 from the JWKS endpoint, by kid', async () => {
    const auth = authenticator({ jwksUrl, algorithms: ['RS256'] });
    const token = await sign({ alg: 'RS256', key: jwksRsa.privateKey, kid: 'k1' });
    expect((await auth.authenticate(bearer(token))).userId).toBe('u1');
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('all key material at once: each token finds its key by alg (public key, then JWKS)', async () => {
    const auth = authenticator({ secret: SECRET, publicKey: rsa.pem, jwksUrl });
    const tokens = await Promise.all([
      sign({ claims: { sub: 'hs' } }),
      sign({ alg: 'RS256', key: rsa.privateKey, claims: { sub: 'static' } }),
      sign({ alg: 'RS256', key: jwksRsa.privateKey, kid: 'k1', claims: { sub: 'jwks' } }),
    ]);
    const ids = await Promise.all(tokens.map((token) => auth.authenticate(bearer(token))));
    expect(ids.map((id) => id.userId)).toEqual(['hs', 'static', 'jwks']);
  });

  it('the ADMIN role claim, and USER when absent', async () => {
    const auth = authenticator({ secret: SECRET });
    const admin = await auth.authenticate(bearer(await sign({ claims: { role: 'ADMIN' } })));
    const user = await auth.authenticate(bearer(await sign({ claims: { sub: 'u2', role: 'USER' } })));
    expect([admin.role, user.role]).toEqual(['ADMIN', 'USER']);
  });

  it('iss and aud when configured', async () => {
    const auth = authenticator({ secret: SECRET, issuer: ISSUER, audience: AUDIENCE });
    const token = await sign({ claims: { iss: ISSUER, aud: AUDIENCE } });
    expect((await auth.authenticate(bearer(token))).userId).toBe('u1');
  });

  it('a token expired by less than the clock tolerance', async () => {
    const token = await sign({ claims: { exp: nowSeconds() - 2 } });
    expect((await authenticator({ secret: SECRET }).authenticate(bearer(token))).userId).toBe('u1');
  });

  it('the Bearer scheme in any case', async () => {
    const auth = authenticator({ secret: SECRET });
    const token = await sign();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await auth.authenticate({ authorization: `${scheme} ${token}` })).userId).toBe('u1');
    }
  });
});

describe('JWT rejected with UNAUTHENTICATED / 401', () => {
  const auth = () =>
    authenticator({ secret: SECRET, publicKey: rsa.pem, issuer: ISSUER, audience: AUDIENCE });
  const good = { iss: ISSUER, aud: AUDIENCE };

  async function rejects(token: string, message: RegExp, authn = auth()) {
    await expectUnauthenticated(authn.authenticate(bearer(token)), message, [token]);
  }

  it('expired', async () => rejects(await sign({ claims: { ...good, exp: nowSeconds() - 60 } }), /expired/));
  it('not yet valid (nbf in the future)', async () =>
    rejects(await sign({ claims: { ...good, nbf: nowSeconds() + 60 } }), /not yet valid/));
  it('no exp', async () => rejects(await sign({ claims: { ...good, exp: undefined } }), /no exp claim/));
  it('no sub', async () => rejects(await sign({ claims: { ...good, sub: undefined } }), /no sub claim/));
  it('a sub that cannot travel as a header', async () =>
    rejects(await sign({ claims: { ...good, sub: 'u1\r\nx-user-role: ADMIN' } }), /subject not accepted/));
  it('wrong issuer', async () =>
    rejects(await sign({ claims: { ...good, iss: 'https://evil.test' } }), /issuer not accepted/));
  it('no issuer when one is configured', async () =>
    rejects(await sign({ claims: { ...good, iss: undefined } }), /no iss claim/));
  it('wrong audience', async () =>
    rejects(await sign({ claims: { ...good, aud: 'other' } }), /audience not accepted/));
  it.each(['SUPERUSER', 'admin', 42, null])('role claim %j', async (role) =>
    rejects(await sign({ claims: { ...good, role } }), /role not accepted/),
  );
  it('wrong secret', async () =>
    rejects(
      await sign({ claims: good, key: new TextEncoder().encode('another-secret') }),
      /invalid token signature/,
    ));
  it('wrong RSA key', async () =>
    rejects(await sign({ alg: 'RS256', key: otherRsa.privateKey, claims: good }), /invalid token signature/));

  it('alg: none (an unsigned token)', async () => {
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: 'u1', exp: nowSeconds() + 60 })}.`;
    await rejects(token, /algorithm not accepted/);
  });

  it('key confusion: HS256 signed with the RSA public key PEM, no secret configured', async () => {
    const token = await sign({ key: new TextEncoder().encode(rsa.pem) });
    await rejects(token, /algorithm not accepted/, authenticator({ publicKey: rsa.pem }));
  });

  it('key confusion: HS256 signed with the RSA public key PEM, a secret also configured', async () => {
    const token = await sign({ key: new TextEncoder().encode(rsa.pem), claims: good });
    await rejects(token, /invalid token signature/);
  });

  it('an algorithm outside jwt.algorithms', async () => {
    const token = await sign({
      alg: 'PS256',
      key: (await generateKeyPair('PS256')).privateKey,
      claims: good,
    });
    await rejects(token, /algorithm not accepted/);
  });

  it('garbage', async () => {
    await rejects('not-a-jwt', /malformed token/);
    await rejects('a.b.c', /malformed token/);
    await rejects(`${base64url({ alg: 'HS256' })}.!!!.???`, /invalid token/);
  });

  it('a non-Bearer scheme, an empty token, extra words', async () => {
    const a = auth();
    await expectUnauthenticated(
      a.authenticate({ authorization: 'Basic xyz' }),
      /unsupported authorization scheme/,
    );
    await expectUnauthenticated(a.authenticate({ authorization: 'Bearer ' }), /empty bearer token/);
    await expectUnauthenticated(a.authenticate({ authorization: 'Bearer' }), /empty bearer token/);
    await expectUnauthenticated(a.authenticate({ authorization: 'Bearer a b' }), /malformed token/);
  });

  it('repeated Authorization headers', async () => {
    const token = await sign({ claims: good });
    await expectUnauthenticated(
      auth().authenticate({ authorization: [`Bearer ${token}`, 'Bearer other'] }),
      /repeated authorization header/,
      [token],
    );
  });

  it('a token when no key material is configured', async () => {
    const token = await sign();
    await rejects(token, /bearer tokens are not accepted/, authenticator({}));
  });

  it('JWKS: unknown kid', async () => {
    const token = await sign({ alg: 'RS256', key: jwksRsa.privateKey, kid: 'k-unknown' });
    await rejects(token, /signing key not found/, authenticator({ jwksUrl, algorithms: ['RS256'] }));
  });

  it('JWKS: endpoint down answers 401 promptly, and again on the next request', async () => {
    const a = authenticator({ jwksUrl: deadJwksUrl, algorithms: ['RS256'] });
    const token = await sign({ alg: 'RS256', key: jwksRsa.privateKey, kid: 'k1' });
    const started = performance.now();
    await rejects(token, /signing keys unavailable/, a);
    await rejects(token, /signing keys unavailable/, a);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('start-up errors', () => {
  it('returns null without key material', () => {
    expect(createJwtVerifier(jwtConfig())).toBeNull();
    expect(createJwtVerifier(jwtConfig({ secret: '' }))).toBeNull();
  });

  it('narrows jwt.algorithms to what the key material allows', () => {
    const config = jwtConfig({
      secret: SECRET,
      publicKey: rsa.pem,
      algorithms: ['HS256', 'HS512', 'RS256', 'PS256', 'ES256'],
    });
    expect(createJwtVerifier(config)?.algorithms).toEqual(['HS256', 'HS512', 'RS256', 'PS256']);
    const edConfig = jwtConfig({ publicKey: ed.pem, jwksUrl, algorithms: ['EdDSA', 'RS256'] });
    expect(createJwtVerifier(edConfig)?.algorithms).toEqual(['EdDSA', 'RS256']);
  });

  it.each<[string, () => Partial<JwtConfig>, RegExp]>([
    [
      'a PEM that fits none of the algorithms',
      () => ({ publicKey: ec.pem, algorithms: ['RS256', 'EdDSA'] }),
      /fits none/,
    ],
    [
      'a PEM that is not a key',
      () => ({ publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }),
      /not a readable/,
    ],
    ['a private key', () => ({ publicKey: privatePem }), /must be a PEM public key/],
    [
      '"none" in jwt.algorithms',
      // What a config the loader did not check could hold: the type refuses it, the verifier too.
      () => ({ secret: SECRET, algorithms: ['HS256', 'none'] as JwtConfig['algorithms'] }),
      /"none" is not supported/,
    ],
    [
      'a secret without HS algorithms',
      () => ({ secret: SECRET, algorithms: ['RS256'] }),
      /jwt.secret .* none of HS256/,
    ],
    ['a JWKS URL without asymmetric algorithms', () => ({ jwksUrl, algorithms: ['HS256'] }), /no asymmetric/],
    ['a JWKS URL that is not http(s)', () => ({ jwksUrl: 'file:///etc/jwks.json' }), /http\(s\)/],
  ])('%s', (_name, overrides, message) => {
    const config = jwtConfig(overrides());
    let thrown: unknown;
    try {
      createJwtVerifier(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    const text = (thrown as Error).message;
    expect(text).toMatch(message);
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/-----BEGIN[\s\S]*-----END/); // no key material, beyond naming the format
  });
});

describe('verified-token cache', () => {
  const T = 1_900_000_000; // seconds; a fixed clock makes expiry deterministic
  function verifierAt(clock: { seconds: number }, cacheSize?: number) {
    const config = jwtConfig({ secret: SECRET, publicKey: rsa.pem });
    return createJwtVerifier(config, { now: () => clock.seconds * 1000, cacheSize })!;
  }

  it('the same token verified twice gives equal identities (the second from the cache)', async () => {
    const clock = { seconds: T };
    const verifier = verifierAt(clock);
    const token = await sign({ alg: 'RS256', key: rsa.privateKey, claims: { exp: T + 60, role: 'ADMIN' } });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(first).toEqual({ userId: 'u1', role: 'ADMIN', expiresAt: T + 60 });
    expect(second).toBe(first);
    const auth = createAuthenticator(
      { jwt: jwtConfig({ secret: SECRET }), apiKeys: [] },
      { now: () => T * 1000 },
    );
    const hsToken = await sign({ claims: { exp: T + 60 } });
    expect(await auth.authenticate(bearer(hsToken))).toEqual(await auth.authenticate(bearer(hsToken)));
  });

  it('a cached token is rejected once its exp (plus tolerance) has passed', async () => {
    const clock = { seconds: T };
    const verifier = verifierAt(clock);
    const token = await sign({ claims: { exp: T + 10 } });
    await verifier.verify(token);
    clock.seconds = T + 14; // within the 5 s tolerance
    expect((await verifier.verify(token)).userId).toBe('u1');
    clock.seconds = T + 15;
    await expectUnauthenticated(verifier.verify(token), /token expired/, [token]);
  });

  it('failures are not cached: a not-yet-valid token is accepted once it becomes valid', async () => {
    const clock = { seconds: T };
    const verifier = verifierAt(clock);
    const token = await sign({ claims: { exp: T + 600, nbf: T + 60 } });
    await expectUnauthenticated(verifier.verify(token), /not yet valid/, [token]);
    clock.seconds = T + 60;
    expect((await verifier.verify(token)).userId).toBe('u1');
  });

  it('is bounded: the oldest entry is evicted first', async () => {
    const clock = { seconds: T };
    const verifier = verifierAt(clock, 2);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((sub) => sign({ claims: { sub, exp: T + 60 } })));
    const first = await verifier.verify(a!);
    const bFirst = await verifier.verify(b!);
    await verifier.verify(c!); // evicts a
    expect(await verifier.verify(b!)).toBe(bFirst);
    const again = await verifier.verify(a!);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('an entry is re-verified after 10 minutes even when exp is later', async () => {
    const clock = { seconds: T };
    const verifier = verifierAt(clock);
    const token = await sign({ claims: { exp: T + 86_400 } });
    const first = await verifier.verify(token);
    clock.seconds = T + 599;
    expect(await verifier.verify(token)).toBe(first);
    clock.seconds = T + 600;
    expect(await verifier.verify(token)).not.toBe(first);
  });
});

describe('API keys', () => {
  const auth = () => authenticator({ secret: SECRET }, API_KEYS);

  it('a known key gives its client and tier', async () => {
    const identity = await auth().authenticate({ 'x-api-key': 'mobile-key-9876543210' });
    expect(identity).toEqual({
      role: 'USER',
      clientName: 'mobile',
      tier: 'free',
      apiKey: true,
      apiKeyId: createHash('sha256').update('mobile-key-9876543210').digest('hex').slice(0, 16),
    });
  });

  it('an unknown key is 401 and the key is not echoed', async () => {
    await expectUnauthenticated(auth().authenticate({ 'x-api-key': 'nope-123' }), /^invalid API key$/, [
      'nope-123',
    ]);
  });

  it('timing-safe lookup: near misses of every length are unknown, the exact key is found', () => {
    const registry = createApiKeyRegistry(API_KEYS);
    const near = [
      'web-key-012345678',
      'web-key-01234567890',
      'web-key-0123456788',
      'WEB-KEY-0123456789',
      ' web-key-0123456789',
      'x'.repeat(10_000),
      'é',
    ];
    for (const presented of near) expect(registry.lookup(presented)).toBeUndefined();
    expect(registry.lookup('web-key-0123456789')).toMatchObject({ client: 'web', tier: 'pro' });
  });

  it('an empty x-api-key counts as none', async () => {
    expect(await auth().authenticate({ 'x-api-key': '' })).toMatchObject({
      apiKey: false,
      clientName: 'anonymous',
    });
  });

  it('a token and a key together: both are checked', async () => {
    const token = await sign({ claims: { sub: 'u7' } });
    const both = await auth().authenticate({ ...bearer(token), 'x-api-key': 'web-key-0123456789' });
    expect(both).toMatchObject({ userId: 'u7', clientName: 'web', tier: 'pro', apiKey: true });
    await expectUnauthenticated(
      auth().authenticate({ ...bearer(token), 'x-api-key': 'nope' }),
      /invalid API key/,
    );
    const badToken = await sign({ claims: { exp: nowSeconds() - 60 } });
    await expectUnauthenticated(
      auth().authenticate({ ...bearer(badToken), 'x-api-key': 'web-key-0123456789' }),
      /expired/,
    );
  });
});

describe('client name and anonymous callers', () => {
  const auth = () => authenticator({ secret: SECRET }, API_KEYS);

  it('no token and no key: an anonymous identity, not an error', async () => {
    expect(await auth().authenticate({})).toEqual({ role: 'USER', clientName: 'anonymous', apiKey: false });
    expect(await auth().authenticate({ authorization: '' })).toEqual({
      role: 'USER',
      clientName: 'anonymous',
      apiKey: false,
    });
  });

  it('apollographql-client-name is used only without a key', async () => {
    const named = await auth().authenticate({ 'apollographql-client-name': 'ios-app_2.1' });
    expect(named.clientName).toBe('ios-app_2.1');
    const keyed = await auth().authenticate({
      'apollographql-client-name': 'ios-app',
      'x-api-key': 'web-key-0123456789',
    });
    expect(keyed.clientName).toBe('web');
  });

  it.each(['bad name', 'x'.repeat(65), 'a/b', '', 'naïve', 'line\nbreak'])(
    'an insane client name %j is ignored',
    async (name) => {
      expect((await auth().authenticate({ 'apollographql-client-name': name })).clientName).toBe('anonymous');
    },
  );

  it('a repeated client-name header is ignored, not an error', async () => {
    const identity = await auth().authenticate({ 'apollographql-client-name': ['a', 'b'] });
    expect(identity.clientName).toBe('anonymous');
  });
});
