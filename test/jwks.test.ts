// The JWKS endpoint as a bad day sees it: down, slow or hostile. Every request still gets its 401
// at once, the endpoint is not hammered, and a huge answer is not read to its end.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../src/auth/authenticate.js';
import { jwksFailureCooldownMs, maxJwksBytes } from '../src/auth/jwks.js';

let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let servers: Server[] = [];
beforeAll(async () => {
  keys = await generateKeyPair('RS256');
});
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

async function jwksEndpoint(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: number[] = [];
  const server = createServer((req, res) => {
    requests.push(Date.now());
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  return { url, requests };
}

const token = () =>
  new SignJWT({ sub: 'u1' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setExpirationTime('1h')
    .sign(keys.privateKey);

function authenticatorFor(jwksUrl: string) {
  return createAuthenticator({
    jwt: { jwksUrl, algorithms: ['RS256'], clockToleranceSeconds: 5 },
    apiKeys: [],
  });
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as { extensions?: { code?: string }; message: string }).message;
  }
}

describe('JWKS endpoint failures', () => {
  it('20 concurrent requests during an outage cause one fetch, and every one is answered 401', async () => {
    const jwks = await jwksEndpoint((_req, res) => res.writeHead(503).end('down'));
    const auth = authenticatorFor(jwks.url);
    const tokens = await Promise.all(Array.from({ length: 20 }, token));
    const answers = await Promise.all(
      tokens.map((t) => outcome(auth.authenticate({ authorization: `Bearer ${t}` }))),
    );
    expect(new Set(answers)).toEqual(new Set(['token signing keys unavailable']));
    // A second wave inside the cool-down: still no new fetch.
    await Promise.all(tokens.map((t) => outcome(auth.authenticate({ authorization: `Bearer ${t}` }))));
    expect(jwks.requests).toHaveLength(1);
  });

  it('asks again once the cool-down is over, and then accepts tokens', async () => {
    let up = false;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = await jwksEndpoint((_req, res) => {
      if (!up) return res.writeHead(503).end('down');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    const auth = authenticatorFor(jwks.url);
    expect(await outcome(auth.authenticate({ authorization: `Bearer ${await token()}` }))).toBe(
      'token signing keys unavailable',
    );
    up = true;
    await new Promise((resolve) => setTimeout(resolve, jwksFailureCooldownMs + 100));
    expect(await outcome(auth.authenticate({ authorization: `Bearer ${await token()}` }))).toBe('ok');
    expect(jwks.requests).toHaveLength(2);
  }, 15_000);

  it('refuses a JWKS larger than the bound without reading it to the end', async () => {
    let written = 0;
    const jwks = await jwksEndpoint((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      // An endless answer, slowly: only the bound stops the read, long before the 5 s timeout.
      const timer = setInterval(() => {
        const chunk = `${'{"kty":"oct","k":"AAAA"},'.repeat(400)}`;
        written += chunk.length;
        if (!res.write(chunk) || written > 50 * maxJwksBytes) clearInterval(timer);
      }, 5);
      res.on('close', () => clearInterval(timer));
    });
    const auth = authenticatorFor(jwks.url);
    const started = performance.now();
    expect(await outcome(auth.authenticate({ authorization: `Bearer ${await token()}` }))).toBe(
      'token signing keys unavailable',
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(written).toBeLessThan(4 * maxJwksBytes);
  });
});
