import { createHash } from 'node:crypto';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { LimitsConfig } from '../config/types.js';
import { ErrorCode } from '../errors.js';
import { maxOfTypeChain, measureOperation, type OperationMeasure } from './measure.js';
import { createSchemaFacts } from './schema-facts.js';

/** Why an operation was refused before it ran. */
export interface Rejection {
  limit: keyof LimitsConfig;
  message: string;
  value: number;
  max: number;
}

/** One operation of a request, as the later stages and the executor need it. */
export interface OperationAnalysis {
  /** Parsed and validated once per text, for this schema variant. */
  document: DocumentNode;
  /** SHA-256 of the text, hex: Apollo's query hash (its document store is keyed by it). */
  hash: string;
  operation: OperationDefinitionNode;
  measure: OperationMeasure;
}

/**
 * What the analysis found for one operation: ready to run; refused by a limit; or not a valid
 * document (`unparsed`: Apollo words the syntax or validation errors, on the error path only).
 */
export type AnalysisResult =
  | { kind: 'ok'; analysis: OperationAnalysis }
  | { kind: 'rejected'; rejection: Rejection }
  | { kind: 'unparsed' };

/** Parses, validates and measures each text once; the document and its measures are cached with it. */
export interface OperationAnalyzer {
  analyze(query: string, operationName: unknown, variables: unknown): AnalysisResult;
  /**
   * Apollo's `documentStore`: Apollo looks the request's document up here by the text's hash and,
   * finding the one this analyzer parsed and validated, neither parses nor validates again.
   */
  readonly documentStore: KeyValueCache<DocumentNode>;
  /**
   * Why a text the analysis found unusable cannot run, as GraphQL errors (GRAPHQL_PARSE_FAILED,
   * GRAPHQL_VALIDATION_FAILED): for transports that word their own answers (subscriptions).
   */
  errorsOf(query: string, operationName: unknown): readonly GraphQLError[];
}

export interface AnalyzerOptions {
  /** Introspection off adds the rule that refuses it (as Apollo does), so a stored document is one Apollo would accept. */
  introspection: boolean;
}

interface Entry {
  /** null: the text does not parse. */
  document: DocumentNode | null;
  hash: string;
  tooManyTokens?: true;
  /** Validated only once its limits passed: validation is the costly part, and a refused document never needs it. */
  valid?: boolean;
}

// Texts are the keys, and a text can be as long as the body limit (comments and whitespace are
// not tokens): the cache is bounded in characters, or a thousand 1 MB queries would pin a
// gigabyte; a text above 64 KB is analysed every time instead of pinning a slot.
const maxCachedChars = 8 * 1024 * 1024;
const maxCachedQueryChars = 64 * 1024;

// graphql-js 16: "Syntax Error: Document contains more that 5000 tokens. Parsing aborted." (sic)
const tooManyTokens = /Document contains more th(?:an|at) \d+ tokens\. Parsing aborted/;

/**
 * The operation analysis of one schema variant. A text is parsed and validated once (bounded by
 * `limits.maxTokens`, so a 50,000-field query is never parsed whole), then each operation is
 * measured once by a single walk (measure.ts): depth, aliases, root fields, directives per field,
 * cost, cache policy and what the executor needs. Measures that read no variable are cached with
 * the document. Everything is linear in the document's size.
 */
export function createOperationAnalyzer(
  schema: GraphQLSchema,
  limits: LimitsConfig,
  options: AnalyzerOptions,
): OperationAnalyzer {
  const facts = createSchemaFacts(schema);
  const rules = options.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
  const byText = new LRUCache<string, Entry>({
    maxSize: maxCachedChars,
    sizeCalculation: (_e, text) => text.length,
  });
  const byHash = new LRUCache<string, DocumentNode>({ max: 10_000 });
  const measures = new WeakMap<OperationDefinitionNode, OperationMeasure>();

  const entryOf = (query: string): Entry => {
    const cached = byText.get(query);
    if (cached) return cached;
    const entry: Entry = { document: null, hash: createHash('sha256').update(query).digest('hex') };
    try {
      entry.document = parse(query, { maxTokens: limits.maxTokens });
    } catch (error) {
      // Only the parser's own token message: a syntax error may quote a name like "tokens".
      if (error instanceof GraphQLError && tooManyTokens.test(error.message)) entry.tooManyTokens = true;
    }
    if (query.length <= maxCachedQueryChars) byText.set(query, entry);
    return entry;
  };

  const isValid = (entry: Entry & { document: DocumentNode }): boolean => {
    if (entry.valid === undefined) {
      entry.valid = validate(schema, entry.document, rules).length === 0;
      if (entry.valid) byHash.set(entry.hash, entry.document);
    }
    return entry.valid;
  };

  return {
    analyze(query, operationName, variables) {
      const entry = entryOf(query);
      if (entry.tooManyTokens) {
        const max = limits.maxTokens;
        return rejected(reject('maxTokens', `the document has more than ${max} tokens`, max + 1, max));
      }
      const { document } = entry;
      if (!document) return { kind: 'unparsed' };
      // Limits first, on the parsed text: a refused operation costs one bounded parse and a
      // linear walk, never validation (whose overlapping-fields rule is quadratic).
      // Every operation of the document is checked, not only the one asked for: a document is
      // a unit, and its limits must not depend on which name a caller picks.
      let vars: Record<string, unknown> | undefined;
      for (const definition of document.definitions) {
        if (definition.kind !== 'OperationDefinition') continue;
        let measure = measures.get(definition);
        if (!measure) {
          vars ??= variablesOf(variables);
          measure = measureOperation(schema, document, definition, vars, facts);
          if (!measure.readsVariables) measures.set(definition, measure);
        }
        const rejection = compare(measure, limits);
        if (rejection) return rejected(rejection);
      }
      if (!isValid(entry as Entry & { document: DocumentNode })) return { kind: 'unparsed' };
      const operation = getOperationAST(
        document,
        typeof operationName === 'string' ? operationName : undefined,
      );
      // No such operation (or several without a name): Apollo words that answer.
      if (!operation) return { kind: 'unparsed' };
      vars ??= variablesOf(variables);
      const measure = measures.get(operation) ?? measureOperation(schema, document, operation, vars, facts);
      return { kind: 'ok', analysis: { document, hash: entry.hash, operation, measure } };
    },
    errorsOf(query, operationName) {
      let document: DocumentNode;
      try {
        document = parse(query, { maxTokens: limits.maxTokens });
      } catch (error) {
        const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
        return [
          new GraphQLError(syntax.message, {
            nodes: syntax.nodes,
            source: syntax.source,
            positions: syntax.positions,
            extensions: { code: ErrorCode.GRAPHQL_PARSE_FAILED },
          }),
        ];
      }
      const invalid = validate(schema, document, rules);
      if (invalid.length > 0) {
        return invalid.map(
          (e) =>
            new GraphQLError(e.message, {
              nodes: e.nodes,
              extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED },
            }),
        );
      }
      const name = typeof operationName === 'string' ? operationName : undefined;
      const message = name
        ? `Unknown operation named "${name}".`
        : 'Must provide operation name if query contains multiple operations.';
      return [new GraphQLError(message, { extensions: { code: ErrorCode.BAD_REQUEST } })];
    },
    documentStore: {
      // Apollo prefixes the hash with one of the schema's ("<schema hash>:<query hash>").
      async get(key) {
        return byHash.get(key.slice(key.lastIndexOf(':') + 1));
      },
      // Apollo stores what it parsed itself: only texts this analyzer found invalid get there,
      // and those it must keep parsing, to word their errors.
      async set() {},
      async delete() {},
    },
  };
}

/** A batch of more operations than `limits.maxOperationsPerBatch` is refused whole. */
export function batchRejection(size: number, max: number): Rejection | undefined {
  if (size <= max) return undefined;
  return reject(
    'maxOperationsPerBatch',
    `the batch has ${size} operations; at most ${max} are allowed`,
    size,
    max,
  );
}

function rejected(rejection: Rejection): AnalysisResult {
  return { kind: 'rejected', rejection };
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
