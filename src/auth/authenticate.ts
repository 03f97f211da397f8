import type { AuthConfig } from '../config/types.js';
import { createApiKeyRegistry } from './api-keys.js';
import { clientNamePattern, type Identity } from './identity.js';
import { createJwtVerifier, type JwtVerifierOptions, type VerifiedToken } from './jwt.js';
import { unauthenticated } from './refusal.js';

/** Request headers as node:http gives them: lower-case names. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Turns a request's headers into an identity, once per request. */
export interface Authenticator {
  /**
   * The caller's identity; anonymous when neither a token nor an API key is presented. Rejects
   * with UNAUTHENTICATED (HTTP 401) when either one is presented and invalid.
   */
  authenticate(headers: RequestHeaders): Promise<Identity>;
}

/** A single header value; a repeated header is ambiguous and counts as invalid. */
function single(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  if (!Array.isArray(value)) return value;
  if (value.length > 1) throw unauthenticated(`repeated ${name} header`);
  return value[0];
}

/** The bearer token, undefined when no credentials were sent. */
function bearerToken(authorization: string | undefined): string | undefined {
  // An empty header is what many clients send when they have no token (`token ? ... : ''`).
  if (authorization === undefined || authorization.trim() === '') return undefined;
  const [scheme = '', ...rest] = authorization.trim().split(/[ \t]+/);
  if (scheme.toLowerCase() !== 'bearer') throw unauthenticated('unsupported authorization scheme');
  if (rest.length === 0) throw unauthenticated('empty bearer token');
  if (rest.length > 1) throw unauthenticated('malformed token');
  return rest[0];
}

/** Builds the authenticator; throws at start-up on invalid key material or API keys. */
export function createAuthenticator(auth: AuthConfig, options: JwtVerifierOptions = {}): Authenticator {
  const verifier = createJwtVerifier(auth.jwt, options);
  const apiKeys = createApiKeyRegistry(auth.apiKeys);

  async function verifyToken(token: string | undefined): Promise<VerifiedToken | undefined> {
    if (token === undefined) return undefined;
    if (!verifier) throw unauthenticated('bearer tokens are not accepted');
    return verifier.verify(token);
  }

  return {
    async authenticate(headers) {
      const presentedKey = single(headers, 'x-api-key');
      // An empty x-api-key, like an empty Authorization, means "none" rather than "invalid".
      const key = presentedKey ? apiKeys.lookup(presentedKey) : undefined;
      if (presentedKey && !key) throw unauthenticated('invalid API key');

      const user = await verifyToken(bearerToken(single(headers, 'authorization')));

      // Unlike credentials, a repeated client name is harmless: it is simply not used.
      const claimed = headers['apollographql-client-name'];
      const clientName =
        key?.client ??
        (typeof claimed === 'string' && clientNamePattern.test(claimed) ? claimed : 'anonymous');
      const identity: Identity = { role: user?.role ?? 'USER', clientName, apiKey: key !== undefined };
      if (key) {
        identity.tier = key.tier;
        identity.apiKeyId = key.id;
      }
      if (user) {
        identity.userId = user.userId;
        identity.expiresAt = user.expiresAt;
      }
      return identity;
    },
  };
}
