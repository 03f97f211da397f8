import { createRemoteJWKSet, customFetch, errors, type JWTVerifyGetKey } from 'jose';

// jose's remote JWKS defaults, spelled out so they are visible here: a fetch gives up after 5 s (that
// request gets a 401, never a hang), an unknown `kid` refetches at most every 30 s (a flood of
// made-up kids cannot hammer the JWKS endpoint), keys are refetched after 10 minutes.
const JWKS_OPTIONS = { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 };

/**
 * A JWKS is a few keys, a few KB: anything far larger is not one, and is not read to the end
 * (without this, a huge answer was read until the 5 s timeout, per fetch).
 */
export const maxJwksBytes = 256 * 1024;

/**
 * After a failed fetch, the keys are not asked for again for this long: every request meanwhile
 * gets its 401 at once. Without it, each request arriving after a failure started a fetch of its
 * own (20 concurrent requests during an outage made 6 to 10 fetches).
 */
export const jwksFailureCooldownMs = 5_000;

/** The JWKS endpoint could not give keys: the 401 says so, rather than blaming the token. */
export class JwksUnavailable extends Error {}

/**
 * Keys from a JWKS URL through jose's createRemoteJWKSet (which caches them and coalesces
 * concurrent fetches), with two bounds jose leaves to us: the body's size, and a cool-down
 * after a failure.
 */
export function createJwksKeys(url: URL, now: () => number = Date.now): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, { ...JWKS_OPTIONS, [customFetch]: boundedFetch });
  let failedAt = Number.NEGATIVE_INFINITY;
  return async (header, token) => {
    if (now() - failedAt < jwksFailureCooldownMs) throw new JwksUnavailable();
    try {
      return await remote(header, token);
    } catch (error) {
      // The token's own problem (an unknown kid, an algorithm no key has): the keys are fine.
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported
      ) {
        throw error;
      }
      // Anything else is the endpoint's: unreachable (jose lets fetch's TypeError through), not
      // 200, not a JWKS, too large, too slow. Named, so the 401 says the keys were the problem.
      failedAt = now();
      throw new JwksUnavailable();
    }
  };
}

/** fetch, refusing a body over `maxJwksBytes` (declared or streamed) without reading the rest. */
async function boundedFetch(
  input: string,
  init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal },
): Promise<Response> {
  const response = await fetch(input, init);
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxJwksBytes) {
    await response.body?.cancel();
    throw new errors.JWKSInvalid('JWKS too large');
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    size += next.value.byteLength;
    if (size > maxJwksBytes) {
      await reader!.cancel();
      throw new errors.JWKSInvalid('JWKS too large');
    }
    chunks.push(next.value);
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}
