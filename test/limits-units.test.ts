// The operation gate and its measurements on ASTs alone: every limit at its boundary, the cost
// model's arithmetic, and the hostile shapes (cycles, doubling fragments) that must stay linear.
import {
  buildSchema,
  type DocumentNode,
  getIntrospectionQuery,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import type { LimitsConfig } from '../src/config/types.js';
import { createSchema } from '../src/graphql/schema.js';
import {
  batchRejection,
  createOperationAnalyzer,
  type Rejection,
  rejectionBody,
} from '../src/operation/analyzer.js';
import {
  defaultListSize,
  maxOfTypeChain,
  measureOperation,
  type OperationMeasure,
} from '../src/operation/measure.js';
import { costDirectivesSdl, createSchemaFacts } from '../src/operation/schema-facts.js';
import { createMemoryBackend } from '../src/ratelimit/memory-backend.js';
import { dashboardQuery } from './helpers/expected-dashboard.js';

const schema = createSchema(createMemoryBackend());
const model = createSchemaFacts(schema);

/** The defaults an operator gets without a `limits:` section, read through the real loader. */
const defaults: LimitsConfig = loadConfig({
  env: {
    USERS_URL: 'http://127.0.0.1:1',
    ORDERS_URL: 'http://127.0.0.1:1',
    NOTIFICATIONS_URL: 'http://127.0.0.1:1',
    PRODUCTS_URL: 'http://127.0.0.1:1',
  },
}).config.limits;

/** The analyzer as the analyze stage uses it: a batch's size first, then each operation. */
function createOperationGate(on: typeof schema, limits: LimitsConfig) {
  const analyzer = createOperationAnalyzer(on, limits, { introspection: true });
  const checkOne = (payload: unknown): Rejection | undefined => {
    const { query, operationName, variables } = (payload ?? {}) as Record<string, unknown>;
    if (typeof query !== 'string') return undefined;
    const result = analyzer.analyze(query, operationName, variables);
    return result.kind === 'rejected' ? result.rejection : undefined;
  };
  return {
    check(payload: unknown): Rejection | undefined {
      if (!Array.isArray(payload)) return checkOne(payload);
      return (
        batchRejection(payload.length, limits.maxOperationsPerBatch) ?? payload.map(checkOne).find(Boolean)
      );
    },
  };
}

function operationOf(document: DocumentNode): OperationDefinitionNode {
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation');
  return operation as OperationDefinitionNode;
}

function measure(query: string, variables: Record<string, unknown> = {}, on = schema): OperationMeasure {
  const document = parse(query);
  return measureOperation(
    on,
    document,
    operationOf(document),
    variables,
    on === schema ? model : createSchemaFacts(on),
  );
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `p${i + 1}`);
const nest = (depth: number, leaf: string, wrap: (inner: string) => string) => {
  let query = leaf;
  for (let i = 0; i < depth; i++) query = wrap(query);
  return query;
};

describe('defaults', () => {
  it('are those of gateway.example.yaml plus the documented extra keys', () => {
    expect(defaults).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxCost: 5000,
      maxOperationsPerBatch: 10,
      maxTokens: 5000,
      maxDirectivesPerField: 5,
    });
  });

  it("let graphql's standard introspection query through, in every variant", () => {
    const gate = createOperationGate(schema, defaults);
    expect(gate.check({ query: getIntrospectionQuery() })).toBeUndefined();
    const everything = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(gate.check({ query: everything })).toBeUndefined();
    const measured = measure(everything);
    // Its nine nested ofType do not count as depth; they are bounded on their own.
    expect(measured.ofTypeChain).toBeLessThanOrEqual(maxOfTypeChain);
    expect(measured.depth).toBeLessThanOrEqual(defaults.maxDepth);
    expect(measured.cost).toBeLessThanOrEqual(defaults.maxCost);
  });

  it('let the demo dashboard query through', () => {
    const gate = createOperationGate(schema, defaults);
    expect(gate.check({ query: dashboardQuery })).toBeUndefined();
    expect(measure(dashboardQuery)).toMatchObject({ depth: 6, aliases: 0, rootFields: 1 });
  });
});

describe('measureOperation', () => {
  it('depth: one per nested selection, inline fragments and fragment spreads add none', () => {
    expect(measure('{ __typename }').depth).toBe(1);
    expect(measure('{ products(ids: ["p1"]) { price { amount } } }').depth).toBe(3);
    expect(
      measure(
        '{ products(ids: ["p1"]) { ... on Product { ...P } } } fragment P on Product { price { amount } }',
      ).depth,
    ).toBe(3);
  });

  it('depth counts introspection; a chain of ofType counts on its own', () => {
    const deep = nest(7, 'name', (inner) => `fields { type { ${inner} } }`);
    expect(measure(`{ __schema { types { ${deep} } } }`).depth).toBe(2 + 14 + 1);
    const chain = measure(
      `{ __type(name: "User") { ${nest(11, 'name', (inner) => `ofType { ${inner} }`)} } }`,
    );
    expect(chain.ofTypeChain).toBe(11);
    expect(chain.depth).toBe(2);
  });

  it('aliases: every aliased field, fragments expanded as often as they are spread', () => {
    expect(measure('{ a: __typename b: __typename __typename }').aliases).toBe(2);
    expect(
      measure('{ products(ids: ["p1"]) { ...P ...P ...P } } fragment P on Product { x: id y: name }').aliases,
    ).toBe(6);
  });

  it('root fields: fields under the operation, a fragment spread twice counted once', () => {
    expect(measure('{ a: __typename b: __typename c: __typename }').rootFields).toBe(3);
    expect(
      measure('{ __typename ...R ...R ... on Query { x: __typename } } fragment R on Query { y: __typename }')
        .rootFields,
    ).toBe(3);
  });

  it('directives: the most on one field, spread, fragment, operation or variable', () => {
    expect(measure('{ __typename @include(if: true) @skip(if: false) }').directivesPerField).toBe(2);
    expect(measure('{ ...F @a @b @c } fragment F on Query { __typename }').directivesPerField).toBe(3);
    expect(measure('{ ...F @a } fragment F on Query @b @c { __typename }').directivesPerField).toBe(3);
    expect(measure('{ ... @a @b @c @d { __typename } }').directivesPerField).toBe(4);
    expect(measure('query Q @a @b @c @d @e { __typename }').directivesPerField).toBe(5);
    expect(measure('query Q($x: Int @a @b @c @d @e @f) { __typename }').directivesPerField).toBe(6);
  });

  describe('cost', () => {
    it('scalars 0, objects 1, each plus its selections', () => {
      expect(measure('{ __typename }').cost).toBe(0);
      expect(measure('{ products(ids: ["p1"]) { id name } }').cost).toBe(1);
      expect(measure('{ products(ids: ["p1"]) { price { amount } } }').cost).toBe(2);
    });

    it('a list field costs its size times (its weight plus its selections)', () => {
      // The slicing argument given as a literal list, a variable, and the argument's default.
      expect(measure('{ products(ids: ["p1", "p2", "p3"]) { id } }').cost).toBe(3);
      expect(
        measure('query($ids: [ID!]!) { products(ids: $ids) { price { amount } } }', { ids: ids(7) }).cost,
      ).toBe(7 * 2);
      // me (1) + orders: the default limit 10 × (1 + items: assumedSize 5 × (1 + product 1)).
      expect(measure('{ me { orders { items { product { id } } } } }').cost).toBe(1 + 10 * (1 + 5 * (1 + 1)));
      expect(measure('{ me { orders(limit: 2) { id } } }').cost).toBe(1 + 2);
    });

    it('introspection costs 0 (answered from memory; bounded by depth and MaxIntrospectionDepthRule)', () => {
      expect(measure('{ __schema { types { fields { args { name } } } } }').cost).toBe(0);
      expect(measure('{ __type(name: "User") { fields { name } } me { id } }').cost).toBe(1);
      expect(measure(getIntrospectionQuery()).cost).toBe(0);
    });

    it('10,000 ids cost 10,000 even when only scalars are selected', () => {
      const measured = measure('query($ids: [ID!]!) { products(ids: $ids) { id name } }', {
        ids: ids(10_000),
      });
      expect(measured.cost).toBe(10_000);
      expect(measured.cost).toBeGreaterThan(defaults.maxCost);
    });

    it('@cost weights and @listSize assumed sizes from the SDL, defaultListSize otherwise', () => {
      const custom = buildSchema(`${costDirectivesSdl}
        type Item { id: ID! heavy: Int @cost(weight: 7) }
        type Query {
          expensive: Item @cost(weight: 100)
          sized: [Item] @listSize(assumedSize: 3)
          unsized: [Item]
          sliced(first: Int = 4): [Item] @listSize(slicingArguments: ["first"])
        }`);
      expect(measure('{ expensive { id } }', {}, custom).cost).toBe(100);
      expect(measure('{ sized { heavy } }', {}, custom).cost).toBe(3 * (1 + 7));
      expect(measure('{ unsized { id } }', {}, custom).cost).toBe(defaultListSize);
      expect(measure('{ sliced { id } }', {}, custom).cost).toBe(4);
      expect(measure('{ sliced(first: 9) { id } }', {}, custom).cost).toBe(9);
      expect(measure('query($n: Int) { sliced(first: $n) { id } }', { n: 2 }, custom).cost).toBe(2);
      // A negative size is no discount.
      expect(measure('{ sliced(first: -50) { heavy } }', {}, custom).cost).toBe(0);
    });
  });

  it('fragments doubling at every level saturate instead of overflowing, in linear time', () => {
    const levels = 200;
    let fragments = 'fragment F0 on Product { id price { amount } a: name }';
    for (let i = 1; i <= levels; i++) fragments += ` fragment F${i} on Product { ...F${i - 1} ...F${i - 1} }`;
    const started = performance.now();
    const measured = measure(`{ products(ids: ["p1"]) { ...F${levels} } } ${fragments}`);
    expect(performance.now() - started).toBeLessThan(200);
    expect(measured.cost).toBe(1e12);
    expect(measured.aliases).toBe(1e12);
    expect(measured.depth).toBe(3);
  });

  it('fragment cycles end (validation reports them)', () => {
    const measured = measure('{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }');
    expect(measured.rootFields).toBe(1);
    expect(measured.depth).toBe(1);
  });
});

describe('createOperationGate', () => {
  const small: LimitsConfig = {
    maxDepth: 3,
    maxAliases: 2,
    maxRootFields: 2,
    maxCost: 20,
    maxOperationsPerBatch: 2,
    maxTokens: 100,
    maxDirectivesPerField: 1,
  };
  const gate = createOperationGate(schema, small);
  const check = (query: string, variables?: unknown) => gate.check({ query, variables });

  const cases: [keyof LimitsConfig, string, string, number][] = [
    ['maxDepth', '{ __schema { types { name } } }', '{ __schema { types { fields { name } } } }', 4],
    ['maxAliases', '{ a: __typename b: __typename }', '{ a: __typename b: __typename c: __typename }', 3],
    [
      'maxRootFields',
      '{ __typename products(ids: []) { id } }',
      '{ __typename x: __typename products(ids: []) { id } }',
      3,
    ],
    [
      'maxDirectivesPerField',
      '{ __typename @include(if: true) }',
      '{ __typename @include(if: true) @skip(if: false) }',
      2,
    ],
    [
      'maxCost',
      `{ products(ids: ${JSON.stringify(ids(20))}) { id } }`,
      `{ products(ids: ${JSON.stringify(ids(21))}) { id } }`,
      21,
    ],
  ];
  for (const [limit, atLimit, over, value] of cases) {
    it(`${limit}: at the limit passes, one over is refused naming limits.${limit}`, () => {
      expect(check(atLimit)).toBeUndefined();
      const rejection = check(over);
      expect(rejection).toEqual({ limit, value, max: small[limit], message: expect.any(String) });
      expect(rejection!.message).toMatch(new RegExp(`^Query is too complex: .*\\(limits\\.${limit}\\)$`));
    });
  }

  it('maxTokens: 100 tokens pass, 101 are refused before the parse completes', () => {
    // `{ products ( ids : [ ] ) {` is 9 tokens and `} }` 2 more.
    expect(check(`{ products(ids: []) { ${'id '.repeat(89)}} }`)).toBeUndefined();
    expect(check(`{ products(ids: []) { ${'id '.repeat(90)}} }`)).toEqual({
      limit: 'maxTokens',
      value: 101,
      max: 100,
      message: 'Query is too complex: the document has more than 100 tokens (limits.maxTokens)',
    });
  });

  it('a syntax error that merely names "tokens" is left to Apollo (GRAPHQL_PARSE_FAILED)', () => {
    expect(check('{ __typename } tokens')).toBeUndefined();
    expect(check('{ tokens(')).toBeUndefined();
  });

  it('maxOperationsPerBatch: the array length, then each operation in it', () => {
    const ok = { query: '{ __typename }' };
    expect(gate.check([ok, ok])).toBeUndefined();
    expect(gate.check([ok, ok, ok])).toMatchObject({ limit: 'maxOperationsPerBatch', value: 3, max: 2 });
    expect(gate.check([ok, { query: '{ a: __typename b: __typename c: __typename }' }])).toMatchObject({
      limit: 'maxAliases',
    });
  });

  it('every operation of the document is checked, not only the one named', () => {
    const query = 'query A { __typename } query B { __schema { types { fields { name } } } }';
    expect(gate.check({ query, operationName: 'A' })).toMatchObject({ limit: 'maxDepth' });
  });

  it('reads variables from POST objects and GET JSON strings; garbage variables count as none', () => {
    const query = 'query($ids: [ID!]!) { products(ids: $ids) { id } }';
    expect(check(query, { ids: ids(21) })).toMatchObject({ limit: 'maxCost', value: 21 });
    expect(check(query, JSON.stringify({ ids: ids(21) }))).toMatchObject({ limit: 'maxCost', value: 21 });
    // Without a usable value the list is assumed to hold defaultListSize items.
    expect(check(query, '{not json')).toBeUndefined();
    expect(check(query, [1, 2, 3])).toBeUndefined();
  });

  it('measures again for new variables only when a slicing argument is one', () => {
    // Cached per document: variables that are not slicing arguments change nothing.
    const byId =
      'query($id: ID!, $u: Boolean) { user(id: $id) { id } dashboard { notifications(unreadOnly: $u, limit: 2) { id } } }';
    expect(measure(byId, { id: 'u1', u: true }).readsVariables).toBe(false);
    expect(check(byId, { id: 'u1', u: true })).toBeUndefined();
    expect(check(byId, { id: 'u2', u: false })).toBeUndefined();
    // A slicing variable, even inside a fragment, is read on every request.
    const sliced = 'query($ids: [ID!]!) { ...F } fragment F on Query { products(ids: $ids) { id } }';
    expect(measure(sliced, { ids: ids(2) }).readsVariables).toBe(true);
    expect(check(sliced, { ids: ids(2) })).toBeUndefined();
    expect(check(sliced, { ids: ids(21) })).toMatchObject({ limit: 'maxCost', value: 21 });
    expect(check(sliced, { ids: ids(2) })).toBeUndefined();
  });

  it('lets malformed payloads through untouched: Apollo answers those with its own codes', () => {
    for (const payload of [null, 'text', 42, {}, { query: 7 }, { query: '{ unclosed' }, []]) {
      expect(gate.check(payload)).toBeUndefined();
    }
  });

  it('answers the same for a cached document as for a fresh one', () => {
    const over = '{ a: __typename b: __typename c: __typename }';
    expect(check(over)).toEqual(check(over));
    const long = `{ __typename } # ${'x'.repeat(100_000)}`;
    expect(check(long)).toBeUndefined();
    expect(check(long)).toBeUndefined();
  });

  it('rejectionBody is one QUERY_TOO_COMPLEX error with the limit, value and max', () => {
    const rejection = check('{ a: __typename b: __typename c: __typename }')!;
    expect(rejectionBody(rejection)).toEqual({
      errors: [
        {
          message: rejection.message,
          extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxAliases', value: 3, max: 2 },
        },
      ],
    });
  });
});
