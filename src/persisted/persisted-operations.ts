import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { PersistedQueriesConfig, TrustedDocumentsConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { documentHash, type TrustedDocuments } from './trusted-documents.js';

/** One operation of a GraphQL-over-HTTP request, as sent (`query`, `extensions`, `documentId`…). */
export type Operation = Record<string, unknown>;

/** Why an operation was refused before anything ran, with the HTTP status and headers to answer with. */
export interface PersistedRefusal {
  code: ErrorCode;
  message: string;
  status: number;
  headers?: Record<string, string>;
}

/**
 * Automatic persisted queries and trusted documents, resolved by the gateway before analysis:
 * every operation leaves with its text in `query` (or is refused), so the text a hash stands for
 * is analysed, limited and cached like any other, and Apollo never sees a persisted-query
 * extension.
 */
export interface PersistedOperations {
  /**
   * Resolves an operation in place: a `documentId` or `extensions.persistedQuery` becomes the
   * text it names (from the caller's manifest, then the APQ store), a text sent with its hash
   * registers it, and in `enforce` mode anything outside the caller's manifest is refused.
   */
  resolve(operation: Operation, client: string): Promise<PersistedRefusal | undefined>;
}

export interface PersistedOperationsOptions {
  persistedQueries: PersistedQueriesConfig;
  trustedDocuments: TrustedDocumentsConfig;
  trusted: TrustedDocuments;
  /** Registered texts (absent when APQ is off). */
  store?: KeyValueCache<string>;
  onRefused?: (reason: 'trusted_documents') => void;
}

const badExtension =
  'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<SHA-256 of the document, hex>" }';

// Apollo's answer to a hash it cannot resolve: HTTP 200 (the client then sends the text), never cached.
const notCached = { 'cache-control': 'private, no-cache, must-revalidate' };

/** Builds the resolution from `persistedQueries` and `trustedDocuments`. */
export function createPersistedOperations(options: PersistedOperationsOptions): PersistedOperations {
  const { trusted, store, persistedQueries } = options;
  const mode = options.trustedDocuments.mode;
  const supported = persistedQueries.apq || mode !== 'off';

  const textOf = async (hash: string): Promise<string | undefined> =>
    trusted.documentOf(hash) ?? (await store?.get(hash));

  return {
    async resolve(operation, client) {
      const { documentId } = operation;
      let extensions = extensionsOf(operation.extensions);
      if (documentId !== undefined && extensions?.persistedQuery === undefined) {
        if (typeof documentId !== 'string')
          return refuse(ErrorCode.BAD_REQUEST, 'documentId must be a string', 400);
        // GraphQL over HTTP's persisted documents, optionally `sha256:`-prefixed.
        const sha256Hash = documentId.startsWith('sha256:') ? documentId.slice('sha256:'.length) : documentId;
        extensions = { ...extensions, persistedQuery: { version: 1, sha256Hash } };
      }
      delete operation.documentId;
      let query = typeof operation.query === 'string' ? operation.query : undefined;
      const persisted = extensions?.persistedQuery;
      let hash: string | undefined;
      if (persisted !== undefined) {
        if (!supported) {
          return refuse(
            ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
            'PersistedQueryNotSupported',
            200,
            notCached,
          );
        }
        if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') {
          return refuse(ErrorCode.BAD_REQUEST, badExtension, 400);
        }
        hash = persisted.sha256Hash;
        if (query === undefined) {
          query = await textOf(hash);
          if (query === undefined) {
            return refuse(ErrorCode.PERSISTED_QUERY_NOT_FOUND, 'PersistedQueryNotFound', 200, notCached);
          }
        } else if (documentHash(query) !== hash) {
          return refuse(
            ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
            'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it',
            400,
          );
        } else if (persistedQueries.apq && trusted.documentOf(hash) === undefined) {
          // Registered for every later hash-only request (until its ttl, or evicted by size).
          void store?.set(hash, query, { ttl: persistedQueries.ttlSeconds });
        }
        const { persistedQuery: _resolved, ...rest } = extensions!;
        operation.extensions = rest;
        operation.query = query;
      }
      if (mode !== 'enforce') return undefined;
      const id = hash ?? (query === undefined ? undefined : documentHash(query));
      // Nothing to run (no text, no hash): Apollo answers 400 without running anything.
      if (id === undefined || trusted.allows(client, id)) return undefined;
      options.onRefused?.('trusted_documents');
      return refuse(
        ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
        `This operation is not in the trusted documents of client "${client}"`,
        400,
      );
    },
  };
}

function refuse(
  code: ErrorCode,
  message: string,
  status: number,
  headers?: Record<string, string>,
): PersistedRefusal {
  return headers ? { code, message, status, headers } : { code, message, status };
}

/** Extensions as sent: an object in POST bodies, a JSON string in GET query strings. */
function extensionsOf(extensions: unknown): Operation | undefined {
  if (typeof extensions !== 'string') return isRecord(extensions) ? extensions : undefined;
  try {
    const parsed: unknown = JSON.parse(extensions);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined; // Apollo answers 400 for extensions that are not JSON
  }
}

export function isRecord(value: unknown): value is Operation {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
