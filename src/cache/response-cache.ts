import { createHash, randomBytes } from 'node:crypto';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';

/** A cached GraphQL answer: its body and what its Cache-Control said when stored. */
export interface CachedResponse {
  body: string;
  scope: 'PUBLIC' | 'PRIVATE';
  maxAge: number;
  /** Epoch ms when stored: its `Age`. */
  storedAt: number;
}

/**
 * Everything an answer depends on, and so everything its cache key is made of. Two requests
 * that differ in any of these never share an entry:
 * - the schema variant (`client`): validation and fields differ per client;
 * - the operation: its text, its name and its variables;
 * - for PRIVATE answers, the user and the user's role (a role change must not serve an answer
 *   computed for the old role).
 * Upstream answers can only vary on headers the gateway derives from these (client, user, role):
 * an answer varying on anything else is never stored (response-policy.ts).
 */
export interface ResponseKeyParts {
  client: string;
  query: string;
  operationName: string | undefined;
  variables: unknown;
  /** Set for PRIVATE answers. */
  user?: { id: string; role: string };
}

/**
 * Whole-operation answers, PUBLIC ones shared by all callers of a client, PRIVATE ones per user.
 * Per-user entries carry the user's version in their key: a mutation bumps the version, so all
 * of that user's cached answers are unreachable at once (no index of keys to maintain).
 */
export interface ResponseCache {
  get(parts: ResponseKeyParts): Promise<CachedResponse | undefined>;
  set(parts: ResponseKeyParts, entry: CachedResponse): Promise<void>;
  invalidateUser(userId: string): Promise<void>;
}

/** The response cache on a KeyValueCache (memory bounded in bytes, or Redis shared by instances). */
export function createResponseCache(store: KeyValueCache<CachedResponse | string>): ResponseCache {
  const versionOf = async (userId: string) => ((await store.get(`v:${userId}`)) as string | undefined) ?? '0';
  const keyOf = async (parts: ResponseKeyParts): Promise<string> => {
    const hash = createHash('sha256').update(
      JSON.stringify([
        parts.client,
        parts.operationName ?? '',
        parts.query,
        typeof parts.variables === 'string' ? parts.variables : (parts.variables ?? null),
      ]),
    );
    if (!parts.user) return `e:${hash.digest('base64url')}`;
    const { id, role } = parts.user;
    return `e:${hash.update(`\n${id}\n${role}\n${await versionOf(id)}`).digest('base64url')}`;
  };
  return {
    async get(parts) {
      const entry = (await store.get(await keyOf(parts))) as CachedResponse | undefined;
      if (!entry || typeof entry !== 'object') return undefined;
      // Stored under its scope: a PUBLIC look-up never finds a PRIVATE entry, nor the reverse.
      if ((entry.scope === 'PRIVATE') !== (parts.user !== undefined)) return undefined;
      return Date.now() - entry.storedAt < entry.maxAge * 1000 ? entry : undefined;
    },
    async set(parts, entry) {
      await store.set(await keyOf(parts), entry, { ttl: entry.maxAge });
    },
    async invalidateUser(userId) {
      // Versions outlive the entries they guard by far; a day bounds the key's life.
      await store.set(`v:${userId}`, randomBytes(6).toString('base64url'), { ttl: 86_400 });
    },
  };
}
