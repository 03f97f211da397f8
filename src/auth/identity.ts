export { clientNamePattern } from '../config/names.js';

/** Roles in the order of what they allow: a role satisfies every role at or before it. */
export const roles = ['USER', 'ADMIN'] as const;
export type Role = (typeof roles)[number];

/** Who is calling, derived once per request from its headers (see `createAuthenticator`). */
export interface Identity {
  /** The JWT's `sub`; absent for anonymous callers and API-key-only callers. */
  userId?: string;
  /** The JWT's `role` claim; USER when absent. Meaningful only with `userId`. */
  role: Role;
  /** The client application: from the API key, else `apollographql-client-name`, else `anonymous`. */
  clientName: string;
  /** The tier of the API key, when one was presented. */
  tier?: string;
  /** Whether a valid API key identified the client. */
  apiKey: boolean;
  /** The API key's stable id (a hash prefix), when one was presented. */
  apiKeyId?: string;
  /** The token's `exp` (seconds since the epoch), when a token was presented. */
  expiresAt?: number;
}

/** Whether `have` satisfies `need` (ADMIN satisfies USER). */
export function roleSatisfies(have: Role, need: Role): boolean {
  return roles.indexOf(have) >= roles.indexOf(need);
}
