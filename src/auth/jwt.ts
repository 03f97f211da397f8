import { createPublicKey, type KeyObject } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { jwtAlgorithms } from '../config/schema.js';
import type { JwtConfig } from '../config/types.js';
import { type Role, roles } from './identity.js';
import { createJwksKeys, JwksUnavailable } from './jwks.js';
import { unauthenticated } from './refusal.js';

/** What a valid token says about its bearer. */
export interface VerifiedToken {
  userId: string;
  role: Role;
  /** The token's `exp`, seconds since the epoch. */
  expiresAt: number;
}

/** Verifies bearer tokens against the configured key material. */
export interface JwtVerifier {
  /** Resolves the token's claims, or rejects with an UNAUTHENTICATED GraphQLError (HTTP 401). */
  verify(token: string): Promise<VerifiedToken>;
  /** The algorithms actually accepted: `jwt.algorithms` narrowed to what the key material allows. */
  readonly algorithms: readonly string[];
}

/** Knobs for tests and tuning; production uses the defaults. */
export interface JwtVerifierOptions {
  /** Clock in milliseconds since the epoch (default `Date.now`), for both jose and the cache. */
  now?: () => number;
  /** Most verified tokens kept (default 10 000); the oldest entry is evicted first. */
  cacheSize?: number;
}

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const EDDSA_ALGORITHMS = ['EdDSA', 'Ed25519'];
const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, ...Object.values(EC_ALGORITHMS), ...EDDSA_ALGORITHMS];
// Which algorithms may be configured at all is the config's to say (jwtAlgorithms); here, which
// family each belongs to, so a key is only ever used with the algorithms it can verify.
const SUPPORTED_ALGORITHMS: ReadonlySet<string> = new Set(jwtAlgorithms);

// The subject travels upstream as the `x-user-id` header: anything that could not be sent as a
// header value (control characters, non-ASCII) or that is absurdly long is refused here, once.
const SANE_SUBJECT = /^[\x20-\x7e]{1,256}$/;

// A cached token stays usable until its `exp`, but no longer than this after it was verified. The
// trade-off: verification (~30 µs HS256, more for RSA) is skipped on a hit, so a key removed from the
// JWKS keeps working for tokens already cached. This cap (the same as jose's own JWKS cache age)
// bounds that window instead of letting a long-lived token outlive a key rotation until its exp.
const CACHE_MAX_AGE_MS = 600_000;

interface KeySource {
  /** The algorithms this key may verify; always passed to jwtVerify so a key is never misused. */
  algorithms: string[];
  key: Uint8Array | KeyObject | JWTVerifyGetKey;
}

/** Builds the verifier, or returns null when no key material is configured. Throws on bad config. */
export function createJwtVerifier(config: JwtConfig, options: JwtVerifierOptions = {}): JwtVerifier | null {
  const allowed = validAlgorithms(config.algorithms);
  const secret = config.secret ? secretSource(config.secret, allowed) : undefined;
  const publicKey = config.publicKey ? publicKeySource(config.publicKey, allowed) : undefined;
  const jwks = config.jwksUrl ? jwksSource(config.jwksUrl, allowed) : undefined;
  if (!secret && !publicKey && !jwks) return null;

  const now = options.now ?? Date.now;
  const cacheSize = options.cacheSize ?? 10_000;
  const tolerance = config.clockToleranceSeconds;
  // Verified tokens, each until its `exp` (and 10 minutes at most), least recently used out past
  // `cacheSize`. A verification in flight is shared: concurrent requests with one new token pay
  // jose's asynchronous WebCrypto round trip once. A failed one leaves at once, so the memory is
  // bounded by genuine tokens (about 1 KB each), never by what a caller can make up.
  const cache = new LRUCache<string, { verified: Promise<VerifiedToken>; untilMs: number }>({
    max: cacheSize,
  });
  const algorithms = [...new Set([secret, publicKey, jwks].flatMap((source) => source?.algorithms ?? []))];

  function sourcesFor(alg: string): KeySource[] {
    const candidates = HMAC_ALGORITHMS.includes(alg) ? [secret] : [publicKey, jwks];
    return candidates.filter((source): source is KeySource => !!source?.algorithms.includes(alg));
  }

  async function verifyUncached(token: string): Promise<VerifiedToken> {
    const alg = headerAlgorithm(token);
    const sources = sourcesFor(alg);
    if (sources.length === 0) throw unauthenticated('token algorithm not accepted');
    for (const [index, source] of sources.entries()) {
      try {
        const { payload } = await jwtVerify(token, source.key, {
          algorithms: source.algorithms,
          requiredClaims: ['exp', 'sub'],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: tolerance,
          currentDate: new Date(now()),
        });
        return toVerifiedToken(payload);
      } catch (error) {
        // A static public key and a JWKS may both serve this alg: a signature that the first does
        // not match may still belong to the second. Any other failure is final.
        const another = index < sources.length - 1;
        if (another && error instanceof errors.JWSSignatureVerificationFailed) continue;
        throw toUnauthenticated(error);
      }
    }
    throw unauthenticated('invalid token signature');
  }

  return {
    algorithms,
    async verify(token) {
      const cached = cache.get(token);
      // Past its exp or its 10 minutes: verify again, which also gives an expired token jose's
      // exact rejection.
      if (cached && now() < cached.untilMs) return cached.verified;
      const entry = { verified: verifyUncached(token), untilMs: now() + CACHE_MAX_AGE_MS };
      cache.set(token, entry);
      try {
        const verified = await entry.verified;
        entry.untilMs = Math.min(entry.untilMs, (verified.expiresAt + tolerance) * 1000);
        return verified;
      } catch (error) {
        if (cache.get(token) === entry) cache.delete(token);
        throw error;
      }
    },
  };
}

function validAlgorithms(algorithms: string[]): string[] {
  for (const alg of algorithms) {
    if (!SUPPORTED_ALGORITHMS.has(alg)) {
      throw new Error(
        `jwt.algorithms: "${alg}" is not supported (supported: ${[...SUPPORTED_ALGORITHMS].join(', ')})`,
      );
    }
  }
  return algorithms;
}

function secretSource(secret: string, allowed: string[]): KeySource {
  const algorithms = allowed.filter((alg) => HMAC_ALGORITHMS.includes(alg));
  if (algorithms.length === 0) {
    throw new Error(`jwt.secret is set but jwt.algorithms lists none of ${HMAC_ALGORITHMS.join(', ')}`);
  }
  return { algorithms, key: new TextEncoder().encode(secret) };
}

/** A PEM public key (one given on one line with literal "\n", as variables carry it, was restored by the config loader). */
function publicKeySource(text: string, allowed: string[]): KeySource {
  // A private key would be accepted by createPublicKey (it derives the public half), but one has
  // no business in the gateway's configuration.
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new Error('jwt.publicKey must be a PEM public key (SPKI, "-----BEGIN PUBLIC KEY-----")');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new Error('jwt.publicKey is not a readable PEM public key');
  }
  const fitting = algorithmsForKey(key);
  const algorithms = allowed.filter((alg) => fitting.includes(alg));
  if (algorithms.length === 0) {
    throw new Error(
      `jwt.publicKey (${describeKey(key)}) fits none of jwt.algorithms [${allowed.join(', ')}]; ` +
        `it can verify ${fitting.join(', ') || 'no supported algorithm'}`,
    );
  }
  return { algorithms, key };
}

function algorithmsForKey(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS;
    case 'rsa-pss':
      return PSS_ALGORITHMS;
    case 'ec': {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg ? [alg] : [];
    }
    case 'ed25519':
      return EDDSA_ALGORITHMS;
    default:
      return [];
  }
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve} key` : `${key.asymmetricKeyType ?? 'unknown'} key`;
}

function jwksSource(jwksUrl: string, allowed: string[]): KeySource {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    throw new Error('jwt.jwksUrl is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('jwt.jwksUrl must be an http(s) URL');
  }
  // A JWKS publishes public keys only: HMAC algorithms can never be verified from it.
  const algorithms = allowed.filter((alg) => ASYMMETRIC_ALGORITHMS.includes(alg));
  if (algorithms.length === 0) {
    throw new Error(
      'jwt.jwksUrl is set but jwt.algorithms lists no asymmetric algorithm (RS256, ES256, ...)',
    );
  }
  const key = createJwksKeys(url);
  return { algorithms, key };
}

function headerAlgorithm(token: string): string {
  try {
    const { alg } = decodeProtectedHeader(token);
    if (typeof alg === 'string') return alg;
  } catch {
    // Not a JWT at all; answered below like a header without alg.
  }
  throw unauthenticated('malformed token');
}

function toVerifiedToken(payload: Record<string, unknown>): VerifiedToken {
  const { sub, exp, role = 'USER' } = payload;
  if (typeof sub !== 'string' || !SANE_SUBJECT.test(sub)) throw unauthenticated('token subject not accepted');
  if (typeof exp !== 'number') throw unauthenticated('token has no valid exp claim');
  if (!roles.includes(role as Role)) throw unauthenticated('token role not accepted');
  return Object.freeze({ userId: sub, role: role as Role, expiresAt: exp });
}

const CLAIM_MESSAGES: Record<string, string> = {
  nbf: 'token not yet valid',
  iss: 'token issuer not accepted',
  aud: 'token audience not accepted',
  iat: 'token issued-at claim not accepted',
};

/**
 * Maps any verification failure to a 401 whose message says what was wrong in general terms only:
 * jose's own messages can quote claim values, and a plain TypeError (an HMAC key used for the wrong
 * algorithm, a JWKS fetch that failed) is an internal detail.
 */
function toUnauthenticated(error: unknown) {
  if (error instanceof GraphQLError) return error; // already ours (claims checked after jose)
  if (error instanceof errors.JWTExpired) return unauthenticated('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return unauthenticated(`token has no ${error.claim} claim`);
    return unauthenticated(CLAIM_MESSAGES[error.claim] ?? `token ${error.claim} claim not accepted`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return unauthenticated('invalid token signature');
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return unauthenticated('token algorithm not accepted');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthenticated('token signing key not found');
  }
  if (
    error instanceof JwksUnavailable ||
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid
  ) {
    return unauthenticated('token signing keys unavailable');
  }
  if (error instanceof errors.JOSEError) return unauthenticated('invalid token');
  // A plain TypeError: jose refused the key for this token (e.g. key type and alg disagree).
  return unauthenticated('token could not be verified');
}
