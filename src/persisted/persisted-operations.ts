import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { PersistedQueriesConfig, TrustedDocumentsConfig } from '../config/types.js';
import { ErrorCode, gatewayError } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { GatewayMetrics } from '../http/metrics.js';
import type { OperationGate } from '../limits/gate.js';
import { type ApqCache, createMemoryApqCache, createRedisApqCache } from './apq-cache.js';
import { documentHash, type TrustedDocuments } from './trusted-documents.js';

/** Why the pre-handler refused a request before Apollo saw it (HTTP status: `httpStatusOf`). */
export interface PersistedRefusal {
  code: ErrorCode;
  message: string;
}

/** Automatic persisted queries and trusted documents, as two hooks around Apollo. */
export interface PersistedOperations {
  /** Apollo's `persistedQueries` option: `false` when neither APQ nor trusted documents are on. */
  readonly apollo: PersistedQueryOptions | false;
  /**
   * The /graphql pre-handler step, after identity and before the operation gate: checks each
   * operation's `persistedQuery` extension (version, hash of the text sent with it), turns a
   * `documentId` into that extension, and in `enforce` mode refuses every operation that is not
   * in the caller's manifest. undefined: the request may proceed.
   */
  check(request: FastifyRequest): PersistedRefusal | undefined;
}

export interface PersistedOperationsOptions {
  persistedQueries: PersistedQueriesConfig;
  trustedDocuments: TrustedDocumentsConfig;
  trusted: TrustedDocuments;
  /** Registered queries go to Redis when given (every instance knows every hash), else memory. */
  redis?: Redis;
  metrics: GatewayMetrics;
}

type Operation = Record<string, unknown>;

const badExtension =
  'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<SHA-256 of the document, hex>" }';

/** Builds the pre-handler step and Apollo's option from `persistedQueries` and `trustedDocuments`. */
export function createPersistedOperations(options: PersistedOperationsOptions): PersistedOperations {
  const { persistedQueries, trusted, metrics } = options;
  const mode = options.trustedDocuments.mode;
  const supported = persistedQueries.apq || mode !== 'off';
  const store = !persistedQueries.apq
    ? undefined
    : options.redis
      ? createRedisApqCache(options.redis)
      : createMemoryApqCache(persistedQueries.maxCacheBytes);

  const checkOne = (operation: Operation, client: string, request: FastifyRequest) => {
    const query = typeof operation.query === 'string' ? operation.query : undefined;
    let extensions = extensionsOf(operation.extensions);
    const { documentId } = operation;
    if (documentId !== undefined && extensions?.persistedQuery === undefined) {
      if (typeof documentId !== 'string') return refuse(ErrorCode.BAD_REQUEST, 'documentId must be a string');
      extensions = useDocumentId(operation, documentId, extensions, request);
    }
    const persisted = extensions?.persistedQuery;
    let hash: string | undefined;
    if (persisted !== undefined) {
      if (!isRecord(persisted) || persisted.version !== 1 || typeof persisted.sha256Hash !== 'string') {
        return refuse(ErrorCode.BAD_REQUEST, badExtension);
      }
      hash = persisted.sha256Hash;
      // Apollo answers this too, but without a code (so as an internal error, masked in production).
      if (query !== undefined && documentHash(query) !== hash) {
        return refuse(
          ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
          'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it',
        );
      }
    }
    if (mode !== 'enforce') return undefined;
    const id = hash ?? (query === undefined ? undefined : documentHash(query));
    // Nothing to run (no text, no hash): Apollo answers 400 without running anything.
    if (id === undefined || trusted.allows(client, id)) return undefined;
    metrics.rejections.inc({ reason: 'trusted_documents' });
    return refuse(
      ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
      `This operation is not in the trusted documents of client "${client}"`,
    );
  };

  return {
    apollo: supported
      ? { cache: withTrustedDocuments(trusted, store), ttl: persistedQueries.ttlSeconds }
      : false,
    check(request) {
      if (!supported || request.method === 'OPTIONS') return undefined;
      const payload = request.method === 'GET' ? request.query : request.body;
      const client = request.identity?.clientName ?? 'anonymous';
      for (const operation of Array.isArray(payload) ? payload : [payload]) {
        // Malformed operations proceed: Apollo answers them with 400 and runs nothing.
        if (!isRecord(operation)) continue;
        const refusal = checkOne(operation, client, request);
        if (refusal) {
          request.stats?.errorCodes.push(refusal.code);
          return refusal;
        }
      }
      return undefined;
    },
  };
}

/**
 * What Apollo reads registered queries from: the trusted documents first (they are never
 * stored: they are in memory already), then the APQ store. Without APQ, nothing is registered.
 */
function withTrustedDocuments(trusted: TrustedDocuments, store: ApqCache | undefined): ApqCache {
  // Apollo prefixes its keys ("apq:<hash>"); hashes are hex, so the hash follows the last colon.
  const hashOf = (key: string) => key.slice(key.lastIndexOf(':') + 1);
  return {
    async get(key) {
      return trusted.documentOf(hashOf(key)) ?? store?.get(key);
    },
    async set(key, text, options) {
      if (trusted.documentOf(hashOf(key)) === undefined) await store?.set(key, text, options);
    },
    async delete(key) {
      return (await store?.delete(key)) ?? false;
    },
  };
}

/**
 * GraphQL over HTTP's persisted documents (`documentId`, optionally `sha256:`-prefixed) become
 * Apollo's `persistedQuery` extension, which is what Apollo resolves. A GET carries it in the URL,
 * which is what Apollo reads, so the URL is rewritten.
 */
function useDocumentId(
  operation: Operation,
  documentId: string,
  extensions: Operation | undefined,
  request: FastifyRequest,
): Operation {
  const sha256Hash = documentId.startsWith('sha256:') ? documentId.slice('sha256:'.length) : documentId;
  const merged = { ...extensions, persistedQuery: { version: 1, sha256Hash } };
  delete operation.documentId;
  if (request.method !== 'GET') {
    operation.extensions = merged;
    return merged;
  }
  const json = JSON.stringify(merged);
  operation.extensions = json;
  const url = new URL(request.url, 'http://gateway');
  url.searchParams.delete('documentId');
  url.searchParams.set('extensions', json);
  request.raw.url = url.pathname + url.search;
  return merged;
}

/**
 * The operation gate runs in the pre-handler on the text a request carries; a hash-only request
 * carries none, and Apollo takes its text from the APQ store or a manifest. This applies the same
 * limits to that text, with the request's own variables (a registered query may be cheap with
 * one `limit` and too costly with another), after Apollo parsed it (bounded by maxTokens) and
 * before anything runs: zero upstream calls, HTTP 400 QUERY_TOO_COMPLEX as from the pre-handler.
 */
export function persistedGatePlugin(
  gate: OperationGate,
  metrics: GatewayMetrics,
): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ metrics: requestMetrics, source, request }) {
          if (!requestMetrics.persistedQueryHit) return;
          const rejection = gate.check({ query: source, variables: request.variables });
          if (!rejection) return;
          metrics.rejections.inc({ reason: rejection.limit });
          throw gatewayError(ErrorCode.QUERY_TOO_COMPLEX, rejection.message, {
            httpStatus: true,
            limit: rejection.limit,
            value: rejection.value,
            max: rejection.max,
          });
        },
      };
    },
  };
}

function refuse(code: ErrorCode, message: string): PersistedRefusal {
  return { code, message };
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

function isRecord(value: unknown): value is Operation {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
