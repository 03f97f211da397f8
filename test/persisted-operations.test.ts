// Persisted operations end to end: automatic persisted queries (register, then the hash alone;
// mismatched and unknown hashes; shared through Redis by two instances) and trusted documents
// (per-client manifests in `enforce` and `allow` modes, malformed manifests stopping the start-up).
// Hash-only requests must not slip past the operation limits: the text Apollo takes from the APQ
// store or a manifest is checked like any other, with the request's own variables.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { createApqStore } from '../src/persisted/apq-store.js';
import { metricValue, scrapeMetrics, upstreamCalls } from './helpers/http.js';
import { gatewayEnv } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const run = randomUUID().slice(0, 8);
const sharedRedisUrl = inject('redisUrl');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const keys = { web: `web-key-${run}-0123456789`, mobile: `mobile-key-${run}-0123456789` };

// Depth 2 (products, id/name) and depth 3 (products, price, formatted): the `allow` gateway
// allows depth 2 only, and a cost of 20 (one per product asked for).
const webProducts = 'query WebProducts { products(ids: ["p1", "p2"]) { id name } }';
const webDeep = 'query WebDeep { products(ids: ["p1"]) { id price { formatted } } }';
const mobileProducts = 'query MobileProducts { products(ids: ["p3"]) { id name } }';
const byIds = 'query ByIds($ids: [ID!]!) { products(ids: $ids) { id } }';

const manifests = {
  // GraphQL Code Generator's client preset: persisted-documents.json
  web: { [sha256(webProducts)]: webProducts, [sha256(webDeep)]: webDeep },
  // Apollo's generate-persisted-query-manifest: persisted-query-manifest.json
  mobile: {
    format: 'apollo-persisted-query-manifest',
    version: 1,
    operations: [{ id: sha256(mobileProducts), name: 'MobileProducts', type: 'query', body: mobileProducts }],
  },
};

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

interface Instance {
  gateway: Gateway;
  url: string;
  post(payload: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(params: Record<string, string>, headers?: Record<string, string>): Promise<Answer>;
}

const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const asClient = (client: keyof typeof keys) => ({ 'x-api-key': keys[client] });
const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

let services: DemoServices;
let manifestDir: string;
const configs: TempConfig[] = [];
const instances: Instance[] = [];

function envFor(): Record<string, string> {
  return gatewayEnv(services);
}

/** A gateway on port 0 in front of the shared demo services, configured by `yaml`. */
async function startInstance(yaml: string): Promise<Instance> {
  const file = await writeTempConfig(yaml);
  configs.push(file);
  const { config } = loadConfig({ file: file.file, env: envFor() });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const url = await gateway.listen();
  const answer = async (response: Response): Promise<Answer> => ({
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Answer['body'],
  });
  const instance: Instance = {
    gateway,
    url,
    post: async (payload, headers = {}) =>
      answer(
        await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(payload),
        }),
      ),
    // A hash-only GET is what a CDN can cache; Apollo's CSRF prevention wants the preflight header.
    get: async (params, headers = {}) =>
      answer(
        await fetch(`${url}/graphql?${new URLSearchParams(params)}`, {
          headers: { 'apollo-require-preflight': 'true', ...headers },
        }),
      ),
  };
  instances.push(instance);
  return instance;
}

const apiKeysYaml = `auth:
  apiKeys:
    - { key: "${keys.web}", client: web, tier: pro }
    - { key: "${keys.mobile}", client: mobile, tier: free }
`;

let allow: Instance;
let enforce: Instance;

beforeAll(async () => {
  services = await startDemoServices({ productsCacheControl: 'no-store' });
  manifestDir = await mkdtemp(join(tmpdir(), 'switchboard-trusted-'));
  await writeFile(join(manifestDir, 'web.json'), JSON.stringify(manifests.web));
  await writeFile(join(manifestDir, 'mobile.json'), JSON.stringify(manifests.mobile));
  [allow, enforce] = await Promise.all([
    startInstance(`${apiKeysYaml}limits: { maxDepth: 2, maxCost: 20 }
trustedDocuments: { dir: "${manifestDir}", mode: allow }
`),
    startInstance(`${apiKeysYaml}trustedDocuments: { dir: "${manifestDir}", mode: enforce }
`),
  ]);
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.gateway.close()));
  await services?.close();
  await Promise.all(configs.map((config) => config.remove()));
  if (manifestDir) await rm(manifestDir, { recursive: true, force: true });
});

beforeEach(() => services.clearRecords());

describe('automatic persisted queries', () => {
  const query = `query Apq${run} { products(ids: ["p4", "p5"]) { id name } }`;
  const hash = sha256(query);

  it('registers a query with its hash, then answers the hash alone with the same calls', async () => {
    const registered = await allow.post({ query, extensions: persisted(hash) });
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    const registerCalls = services.requests('products').map((r) => ({ path: r.path, query: r.query }));
    expect(registerCalls).toEqual([{ path: '/products', query: { ids: 'p4,p5' } }]);

    services.clearRecords();
    const byHash = await allow.post({ extensions: persisted(hash) });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toEqual(registered.body);
    expect(services.requests('products').map((r) => ({ path: r.path, query: r.query }))).toEqual(
      registerCalls,
    );
    expect(upstreamCalls(services)).toBe(1);

    services.clearRecords();
    const byGet = await allow.get({ extensions: JSON.stringify(persisted(hash)) });
    expect(byGet.status).toBe(200);
    expect(byGet.body).toEqual(registered.body);
    expect(upstreamCalls(services)).toBe(1);
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND (HTTP 200) and no upstream call', async () => {
    const answer = await allow.post({ extensions: persisted(sha256(`never sent ${run}`)) });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
    expect(answer.body.errors).toEqual([
      { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
    ]);
    expect(upstreamCalls(services)).toBe(0);
  });

  it('refuses a hash that is not the query text’s with 400 PERSISTED_QUERY_HASH_MISMATCH, registering nothing', async () => {
    const other = `query Other${run} { products(ids: ["p6"]) { id } }`;
    const wrongHash = sha256(`${other} `);
    const answer = await allow.post({ query: other, extensions: persisted(wrongHash) });
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    expect(answer.body.data).toBeUndefined();
    expect(upstreamCalls(services)).toBe(0);
    // Apollo's own answer to a mismatch has no code (INTERNAL_SERVER_ERROR): this one is refused first.
    expect(codeOf(await allow.post({ extensions: persisted(wrongHash) }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a persistedQuery extension of another version with 400 BAD_REQUEST', async () => {
    const answer = await allow.post({
      query,
      extensions: { persistedQuery: { version: 2, sha256Hash: hash } },
    });
    expect(answer.status).toBe(400);
    expect(codeOf(answer)).toBe('BAD_REQUEST');
  });

  it('checks limits on a hash-only request with its own variables: registered cheap, sent costly', async () => {
    const hashOfByIds = sha256(byIds);
    const cheap = await allow.post({
      query: byIds,
      variables: { ids: ['p1'] },
      extensions: persisted(hashOfByIds),
    });
    expect(cheap.body).toEqual({ data: { products: [{ id: 'p1' }] } });

    services.clearRecords();
    const ids = Array.from({ length: 50 }, (_, i) => `p${i + 1}`);
    const costly = await allow.post({ variables: { ids }, extensions: persisted(hashOfByIds) });
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxCost',
    });
    expect(upstreamCalls(services)).toBe(0);
  });
});

describe('automatic persisted queries shared through Redis', () => {
  // Two instances share registrations; the second allows less depth than the first.
  const deep = `query SharedDeep${run} { products(ids: ["p7"]) { id price { formatted } } }`;
  const shallow = `query SharedShallow${run} { products(ids: ["p8"]) { id } }`;
  let redis: Redis;
  let first: Instance;
  let second: Instance;

  beforeAll(async () => {
    redis = new Redis(sharedRedisUrl, { maxRetriesPerRequest: 1 });
    const yaml = (limits: string) =>
      `redis: { url: "${sharedRedisUrl}" }\nrateLimits: { store: memory }\n${limits}`;
    [first, second] = await Promise.all([
      startInstance(yaml('')),
      startInstance(yaml('limits: { maxDepth: 2 }\n')),
    ]);
  });

  afterAll(async () => {
    await redis.del(`switchboard:apq:${sha256(deep)}`, `switchboard:apq:${sha256(shallow)}`);
    redis.disconnect();
  });

  /** Registers through `first` until the text is in Redis (Apollo stores it after answering). */
  async function registerShared(query: string): Promise<void> {
    for (let attempt = 0; attempt < 40; attempt++) {
      const answer = await first.post({ query, extensions: persisted(sha256(query)) });
      expect(answer.body.errors).toBeUndefined();
      if ((await redis.exists(`switchboard:apq:${sha256(query)}`)) === 1) return;
      await sleep(25);
    }
    throw new Error('the query never reached Redis');
  }

  it('answers a hash registered through another instance', async () => {
    await registerShared(shallow);
    services.clearRecords();
    const answer = await second.post({ extensions: persisted(sha256(shallow)) });
    expect(answer.body).toEqual({ data: { products: [{ id: 'p8' }] } });
    expect(upstreamCalls(services)).toBe(1);
  });

  it('refuses a hash-only request over its own maxDepth, whoever registered the text', async () => {
    await registerShared(deep);
    services.clearRecords();
    const answer = await second.post({ extensions: persisted(sha256(deep)) });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxDepth',
      value: 3,
      max: 2,
    });
    expect(upstreamCalls(services)).toBe(0);
    expect(
      metricValue(await scrapeMetrics(second.url), 'switchboard_rejected_requests_total', {
        reason: 'maxDepth',
      }),
    ).toBe(1);
  });
});

describe('trusted documents, mode enforce', () => {
  const webData = {
    data: {
      products: [
        { id: 'p1', name: expect.any(String) },
        { id: 'p2', name: expect.any(String) },
      ],
    },
  };

  it('runs a manifest operation sent by hash, by documentId (POST and GET), or as its exact text', async () => {
    const hash = sha256(webProducts);
    const answers = [
      await enforce.post({ extensions: persisted(hash) }, asClient('web')),
      await enforce.post({ documentId: `sha256:${hash}` }, asClient('web')),
      await enforce.get({ documentId: hash }, asClient('web')),
      await enforce.post({ query: webProducts }, asClient('web')),
      await enforce.post({ query: webProducts, extensions: persisted(hash) }, asClient('web')),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(webData);
    }
    expect(services.requests('products')).toHaveLength(answers.length);
  });

  it('reads the Apollo manifest format too', async () => {
    const answer = await enforce.post({ extensions: persisted(sha256(mobileProducts)) }, asClient('mobile'));
    expect(answer.body).toEqual({ data: { products: [{ id: 'p3', name: expect.any(String) }] } });
  });

  it('refuses an operation in no manifest with 400 PERSISTED_QUERY_NOT_ALLOWED and no upstream call', async () => {
    const unknown = '{ products(ids: ["p9"]) { id } }';
    const before = await scrapeMetrics(enforce.url);
    const answers = [
      await enforce.post({ query: unknown }, asClient('web')),
      await enforce.post({ query: unknown, extensions: persisted(sha256(unknown)) }, asClient('web')),
      await enforce.post({ extensions: persisted(sha256(unknown)) }, asClient('web')),
      await enforce.get({ query: unknown }, asClient('web')),
      // A batch is refused whole when one of its operations is not allowed.
      await enforce.post([{ query: webProducts }, { query: unknown }], asClient('web')),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        {
          message: 'This operation is not in the trusted documents of client "web"',
          extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' },
        },
      ]);
    }
    expect(upstreamCalls(services)).toBe(0);
    const rejected = (text: string) =>
      metricValue(text, 'switchboard_rejected_requests_total', { reason: 'trusted_documents' });
    expect(rejected(await scrapeMetrics(enforce.url)) - rejected(before)).toBe(answers.length);
  });

  it("refuses another client's manifest operation, by hash or by text, and callers without a client", async () => {
    const mobileByWeb = await enforce.post(
      { extensions: persisted(sha256(mobileProducts)) },
      asClient('web'),
    );
    const webByMobile = await enforce.post({ query: webProducts }, asClient('mobile'));
    const anonymous = await enforce.post({ query: webProducts });
    expect([mobileByWeb, webByMobile, anonymous].map((a) => [a.status, codeOf(a)])).toEqual([
      [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
      [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
      [400, 'PERSISTED_QUERY_NOT_ALLOWED'],
    ]);
    expect(upstreamCalls(services)).toBe(0);
  });
});

describe('trusted documents, mode allow', () => {
  it('runs operations in no manifest, and manifest operations by id', async () => {
    const unknown = await allow.post({ query: '{ products(ids: ["p9"]) { id } }' }, asClient('web'));
    expect(unknown.body).toEqual({ data: { products: [{ id: 'p9' }] } });
    const byId = await allow.post({ documentId: sha256(mobileProducts) }, asClient('mobile'));
    expect(byId.body).toEqual({ data: { products: [{ id: 'p3', name: expect.any(String) }] } });
  });

  it('applies the limits to a manifest operation sent by id', async () => {
    const answer = await allow.post({ extensions: persisted(sha256(webDeep)) }, asClient('web'));
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxDepth',
    });
    expect(upstreamCalls(services)).toBe(0);
  });
});

describe('manifests at start-up', () => {
  /** createGateway's error for a manifest directory holding `files`. */
  async function startupError(files: Record<string, string>, mode = 'enforce'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-bad-manifest-'));
    try {
      for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
      const { config } = loadConfig({
        env: { ...envFor(), PORT: '0' },
        file: (await writeTempConfigFor(`trustedDocuments: { dir: "${dir}", mode: ${mode} }\n`)).file,
      });
      const error = await createGateway(config, { logger: createLogger('silent') }).then(
        () => new Error('createGateway did not fail'),
        (e: Error) => e,
      );
      return error.message.replaceAll(dir, '<dir>');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function writeTempConfigFor(yaml: string): Promise<TempConfig> {
    const config = await writeTempConfig(yaml);
    configs.push(config);
    return config;
  }

  it('stops createGateway with a message naming the file', async () => {
    const good = JSON.stringify({ [sha256(webProducts)]: webProducts });
    expect(await startupError({ 'web.json': good, 'mobile.json': '{ "abc": ' })).toMatch(
      /^trusted documents manifest <dir>\/mobile\.json is not valid JSON/,
    );
    const sha1 = createHash('sha1').update(webProducts).digest('hex');
    expect(await startupError({ 'web.json': JSON.stringify({ [sha1]: webProducts }) })).toBe(
      `trusted documents manifest <dir>/web.json: document "${sha1}": the id is not the SHA-256 of the document, ` +
        "in hex (GraphQL Code Generator: set persistedDocuments.hashAlgorithm to 'sha256')",
    );
    const broken = '{ products(ids: ["p1"]) { id ';
    expect(await startupError({ 'web.json': JSON.stringify({ [sha256(broken)]: broken }) }, 'allow')).toMatch(
      /^trusted documents manifest <dir>\/web\.json: document "[0-9a-f]{64}" does not parse: Syntax Error/,
    );
    const apollo = { format: 'apollo-persisted-query-manifest', version: 2, operations: [] };
    expect(await startupError({ 'mobile.json': JSON.stringify(apollo) })).toBe(
      'trusted documents manifest <dir>/mobile.json: version must be 1, received 2',
    );
  });

  it('stops createGateway when the directory is missing', async () => {
    const { config } = loadConfig({
      env: envFor(),
      file: (await writeTempConfigFor('trustedDocuments: { dir: /nonexistent/trusted, mode: allow }\n')).file,
    });
    await expect(createGateway(config, { logger: createLogger('silent') })).rejects.toThrow(
      'trustedDocuments.dir /nonexistent/trusted does not exist (trustedDocuments.mode is allow)',
    );
  });
});

describe('persisted operations turned off', () => {
  it('answers a hash with PERSISTED_QUERY_NOT_SUPPORTED when APQ is off and no manifest is used', async () => {
    const file = await writeTempConfig('persistedQueries: { apq: false }\n');
    configs.push(file);
    const { config } = loadConfig({ file: file.file, env: envFor() });
    const gateway = await createGateway(config, { logger: createLogger('silent') });
    try {
      const response = await gateway.app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { extensions: persisted(sha256(webProducts)) },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json().errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
      expect(upstreamCalls(services)).toBe(0);
    } finally {
      await gateway.close();
    }
  });
});

describe('the in-memory APQ store', () => {
  it('is bounded in bytes, least recently used out, and honours the TTL', async () => {
    const store = createApqStore({ maxBytes: 100 });
    await store.set('a', 'x'.repeat(40));
    await store.set('b', 'y'.repeat(40));
    await store.get('a'); // b is now the least recently used
    await store.set('c', 'z'.repeat(40));
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual([
      'x'.repeat(40),
      undefined,
      'z'.repeat(40),
    ]);
    await store.set('too-big', 'w'.repeat(200));
    expect(await store.get('too-big')).toBeUndefined();
    await store.set('short', 'v', { ttl: 0.05 });
    expect(await store.get('short')).toBe('v');
    await sleep(80);
    expect(await store.get('short')).toBeUndefined();
  });
});
