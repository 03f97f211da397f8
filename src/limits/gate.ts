import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import type { LimitsConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { maxOfTypeChain, measureOperation, type OperationMeasure } from './analyze.js';
import { createCostModel } from './cost-model.js';

/** Why an operation was refused before it ran. */
export interface Rejection {
  limit: keyof LimitsConfig;
  message: string;
  value: number;
  max: number;
}

/** Checks a GraphQL-over-HTTP payload against `limits` before Apollo parses, validates or runs it. */
export interface OperationGate {
  /** undefined when the payload may proceed (malformed ones proceed too: Apollo answers those). */
  check(payload: unknown): Rejection | undefined;
  /** The parsed document of a query the gate has seen (parsed once, cached), if it parses. */
  parsed(query: string): DocumentNode | undefined;
}

// Parsed documents by query text: a client sends the same few queries again and again, and a
// hostile one is parsed once, bounded by maxTokens. The query texts are the keys, and a text can
// be as long as the body limit (comments and whitespace are not tokens): the cache is bounded in
// characters too, or a thousand 1 MB queries would pin a gigabyte.
const maxCachedDocuments = 1_000;
const maxCachedChars = 8 * 1024 * 1024;
const maxCachedQueryChars = 64 * 1024;

// graphql-js 16: "Syntax Error: Document contains more that 5000 tokens. Parsing aborted." (sic)
const tooManyTokens = /Document contains more th(?:an|at) \d+ tokens\. Parsing aborted/;

/**
 * Operation limits from `limits`: tokens (the parser's maxTokens, so a 50,000-field query is
 * never even parsed whole), depth (introspection included), aliases, root fields, directives per
 * field, the cost model, and operations per batch. Every check runs on the AST in linear time.
 */
export function createOperationGate(schema: GraphQLSchema, limits: LimitsConfig): OperationGate {
  const model = createCostModel(schema);
  const documents = new Map<string, DocumentNode | null>();
  let cachedChars = 0;
  // Measures that hold for any variables (see OperationMeasure.readsVariables), by operation
  // node: a node belongs to one parsed document, so this is per (document, operation). Bounded
  // by the document cache: an entry lives only as long as its document does.
  const measures = new WeakMap<OperationDefinitionNode, OperationMeasure>();

  const documentOf = (query: string): DocumentNode | null | 'too-many-tokens' => {
    const cached = documents.get(query);
    if (cached !== undefined) return cached;
    let document: DocumentNode | null;
    try {
      document = parse(query, { maxTokens: limits.maxTokens, noLocation: true });
    } catch (error) {
      // Only the parser's own token message: a syntax error may quote a name like "tokens".
      if (error instanceof GraphQLError && tooManyTokens.test(error.message)) return 'too-many-tokens';
      document = null; // a syntax error: Apollo reports it as GRAPHQL_PARSE_FAILED
    }
    if (query.length > maxCachedQueryChars) return document;
    while (documents.size >= maxCachedDocuments || cachedChars + query.length > maxCachedChars) {
      const oldest = documents.keys().next().value!;
      documents.delete(oldest);
      cachedChars -= oldest.length;
    }
    documents.set(query, document);
    cachedChars += query.length;
    return document;
  };

  const checkOne = (request: unknown): Rejection | undefined => {
    if (typeof request !== 'object' || request === null) return undefined;
    const { query, variables } = request as { query?: unknown; variables?: unknown };
    if (typeof query !== 'string') return undefined;
    const document = documentOf(query);
    if (document === 'too-many-tokens') {
      return reject(
        'maxTokens',
        `the document has more than ${limits.maxTokens} tokens`,
        limits.maxTokens + 1,
        limits.maxTokens,
      );
    }
    if (!document) return undefined;
    let vars: Record<string, unknown> | undefined;
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      let measure = measures.get(definition);
      if (!measure) {
        vars ??= variablesOf(variables);
        measure = measureOperation(schema, document, definition, vars, model);
        if (!measure.readsVariables) measures.set(definition, measure);
      }
      const rejection = compare(measure, limits);
      if (rejection) return rejection;
    }
    return undefined;
  };

  return {
    parsed(query) {
      const document = documentOf(query);
      return document && document !== 'too-many-tokens' ? document : undefined;
    },
    check(payload) {
      if (!Array.isArray(payload)) return checkOne(payload);
      if (payload.length > limits.maxOperationsPerBatch) {
        return reject(
          'maxOperationsPerBatch',
          `the batch has ${payload.length} operations; at most ${limits.maxOperationsPerBatch} are allowed`,
          payload.length,
          limits.maxOperationsPerBatch,
        );
      }
      for (const request of payload) {
        const rejection = checkOne(request);
        if (rejection) return rejection;
      }
      return undefined;
    },
  };
}

function compare(measure: OperationMeasure, limits: LimitsConfig): Rejection | undefined {
  if (measure.ofTypeChain > maxOfTypeChain) {
    return reject(
      'maxDepth',
      `a chain of ${measure.ofTypeChain} nested ofType exceeds ${maxOfTypeChain}`,
      measure.ofTypeChain,
      maxOfTypeChain,
    );
  }
  const checks: [keyof LimitsConfig, number, string][] = [
    ['maxDepth', measure.depth, 'depth'],
    ['maxAliases', measure.aliases, 'aliases'],
    ['maxRootFields', measure.rootFields, 'root fields'],
    ['maxDirectivesPerField', measure.directivesPerField, 'directives on one field'],
    ['maxCost', measure.cost, 'cost'],
  ];
  for (const [limit, value, what] of checks) {
    const max = limits[limit];
    if (value > max)
      return reject(
        limit,
        `${what} ${value >= 1e12 ? 'beyond 10^12' : value} exceeds the limit of ${max}`,
        value,
        max,
      );
  }
  return undefined;
}

function reject(limit: keyof LimitsConfig, detail: string, value: number, max: number): Rejection {
  return { limit, value, max, message: `Query is too complex: ${detail} (limits.${limit})` };
}

/** Variables as sent: an object in POST bodies, a JSON string in GET query strings. */
function variablesOf(variables: unknown): Record<string, unknown> {
  if (typeof variables === 'string') {
    try {
      return variablesOf(JSON.parse(variables));
    } catch {
      return {};
    }
  }
  return typeof variables === 'object' && variables !== null && !Array.isArray(variables)
    ? (variables as Record<string, unknown>)
    : {};
}

/** The body of a 400 QUERY_TOO_COMPLEX answer. */
export function rejectionBody(rejection: Rejection) {
  return {
    errors: [
      {
        message: rejection.message,
        extensions: {
          code: ErrorCode.QUERY_TOO_COMPLEX,
          limit: rejection.limit,
          value: rejection.value,
          max: rejection.max,
        },
      },
    ],
  };
}
