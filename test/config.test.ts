// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text, where ${VAR} is the syntax under test.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type LoadedConfig, loadConfig } from '../src/config/load.js';
import type { GatewayConfig, UpstreamConfig } from '../src/config/types.js';

const exampleFile = fileURLToPath(new URL('./fixtures/config/gateway.example.yaml', import.meta.url));

/** The four required URLs, as the demo and most deployments give them. */
const urlEnv = {
  USERS_URL: 'http://127.0.0.1:4001',
  ORDERS_URL: 'http://127.0.0.1:4002',
  NOTIFICATIONS_URL: 'http://127.0.0.1:4003',
  PRODUCTS_URL: 'http://127.0.0.1:4004,http://127.0.0.1:4005',
};

const upstreamDefaults = (urls: string[]): UpstreamConfig => ({
  urls,
  protocol: 'http',
  timeoutMs: 2000,
  maxConnections: 64,
  retries: 1,
  breaker: {
    errorThresholdPercent: 50,
    volumeThreshold: 10,
    rollingWindowMs: 10_000,
    resetTimeoutMs: 10_000,
  },
  maxResponseBytes: 5_242_880,
  staleIfErrorSeconds: 0,
});

let dir: string;
let fileCount = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(yaml: string): string {
  const file = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** Loads `yaml` (when given) with the required URLs in the environment plus `env`. */
function load(yaml?: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return loadConfig({ file: yaml === undefined ? undefined : writeConfig(yaml), env: { ...urlEnv, ...env } });
}

/** The ConfigError that `run` throws. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

const errorsOf = (yaml?: string, env: NodeJS.ProcessEnv = {}): string[] =>
  configError(() => load(yaml, env)).errors;

describe('defaults', () => {
  it('builds the whole config from the four URL variables alone', () => {
    const { config, warnings } = loadConfig({ env: urlEnv });
    const expected: GatewayConfig = {
      server: {
        host: '0.0.0.0',
        port: 4000,
        bodyLimitBytes: 1_048_576,
        requestTimeoutMs: 10_000,
        shutdownGraceMs: 10_000,
        headersTimeoutMs: 10_000,
        keepAliveTimeoutMs: 72_000,
        maxConnections: 10_000,
        maxConnectionsPerClient: 256,
        maxEventLoopDelayMs: 1_000,
        trustedProxies: [],
        maxHeaderBytes: 16_384,
        maxHeadersCount: 100,
        cors: { origins: [], credentials: false, maxAgeSeconds: 600 },
        introspection: true,
        sandbox: true,
        sandboxIde: 'graphiql',
        sandboxDefaults: {},
        workers: 1,
        watchConfig: false,
      },
      upstreams: {
        users: upstreamDefaults(['http://127.0.0.1:4001']),
        orders: upstreamDefaults(['http://127.0.0.1:4002']),
        notifications: upstreamDefaults(['http://127.0.0.1:4003']),
        products: upstreamDefaults(['http://127.0.0.1:4004', 'http://127.0.0.1:4005']),
      },
      auth: {
        jwt: { algorithms: ['HS256', 'RS256', 'ES256', 'EdDSA'], clockToleranceSeconds: 5 },
        apiKeys: [],
      },
      routes: [],
      subscriptions: {
        maxPerConnection: 10,
        maxPerUser: 20,
        maxConnections: 10_000,
        keepAliveMs: 12_000,
        maxQueuedEvents: 100,
        connectionInitTimeoutMs: 5_000,
        maxMessageBytes: 65_536,
      },
      rateLimits: {
        store: 'memory',
        storeExplicit: false,
        failOpen: true,
        tiers: {
          anonymous: { requests: 300, windowSeconds: 60, dailyRequests: 0 },
          free: { requests: 600, windowSeconds: 60, dailyRequests: 0 },
          pro: { requests: 6000, windowSeconds: 60, dailyRequests: 0 },
        },
      },
      redis: {},
      limits: {
        maxDepth: 12,
        maxAliases: 30,
        maxRootFields: 20,
        maxCost: 5000,
        maxOperationsPerBatch: 10,
        maxTokens: 5000,
        maxDirectivesPerField: 5,
      },
      clients: { dir: 'schema/clients' },
      persistedQueries: { apq: true, ttlSeconds: 86_400, maxCacheBytes: 16 * 1024 * 1024 },
      trustedDocuments: { dir: 'schema/trusted', mode: 'off' },
      cache: {
        upstream: true,
        maxEntries: 10_000,
        upstreamMaxBytes: 33_554_432,
        entities: true,
        entityMaxBytes: 67_108_864,
        responses: true,
        responseMaxBytes: 33_554_432,
      },
      log: { level: 'info' },
      tracing: { enabled: false, serviceName: 'switchboard', sampleRatio: 1 },
      production: false,
    };
    expect(config).toEqual(expected);
    expect(warnings).toEqual([]);
  });

  it('returns a deep-frozen config', () => {
    const { config } = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.upstreams.products?.urls)).toBe(true);
    expect(Object.isFrozen(config.rateLimits.tiers.anonymous)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('does not share default objects between loads', () => {
    const first = load('rateLimits: { tiers: { gold: { requests: 5 } } }').config;
    const second = load().config;
    expect(Object.keys(first.rateLimits.tiers)).toEqual(['gold', 'anonymous']);
    expect(Object.keys(second.rateLimits.tiers)).toEqual(['anonymous', 'free', 'pro']);
  });

  it('treats an empty file, or one with only comments, as no keys', () => {
    expect(load('').config).toEqual(load().config);
    expect(load('# nothing yet\n').config).toEqual(load().config);
  });

  it('loads the example file from the spec', () => {
    const { config, warnings } = loadConfig({
      file: exampleFile,
      env: { WEB_API_KEY: 'web-key-0123456789abcdef', MOBILE_API_KEY: 'mobile-key-0123456789ab' },
    });
    // The file asks for issuer and audience checks through variables this environment lacks, and
    // prefills the IDE's authorization header from one.
    expect(warnings).toEqual([
      "server.sandboxDefaults.headers.authorization uses ${DEMO_TOKEN}, which is not set: left out of the IDE's defaults",
      'auth.jwt.issuer is given as ${JWT_ISSUER}, which is not set: tokens are accepted from any issuer',
      'auth.jwt.audience is given as ${JWT_AUDIENCE}, which is not set: tokens are accepted for any audience',
    ]);
    expect(config.upstreams.recommendations).toMatchObject({
      protocol: 'grpc',
      urls: ['127.0.0.1:4010'],
      timeoutMs: 1000,
    });
    expect(config.routes).toEqual([
      {
        path: '/api/products',
        upstream: 'products',
        rewrite: '/products',
        methods: ['GET'],
        auth: 'none',
        responseHeaders: { set: { 'x-served-by': 'switchboard' } },
      },
    ]);
    expect(config.server).toMatchObject({
      sandboxIde: 'graphiql',
      workers: 1,
      sandboxDefaults: { headers: {} },
    });
    expect(config.upstreams.products?.urls).toEqual([
      'http://127.0.0.1:4004',
      'http://127.0.0.1:4005',
      'http://127.0.0.1:4006',
    ]);
    expect(config.auth.apiKeys).toEqual([
      { key: 'web-key-0123456789abcdef', client: 'web', tier: 'pro' },
      { key: 'mobile-key-0123456789ab', client: 'mobile', tier: 'free' },
    ]);
    // Unset ${JWT_SECRET} and friends count as not given.
    expect(config.auth.jwt).toEqual({
      algorithms: ['HS256', 'RS256', 'ES256', 'EdDSA'],
      clockToleranceSeconds: 5,
    });
    expect(config.redis).toEqual({});
  });

  it('lets client-defined upstreams use the same keys and defaults', () => {
    const { config } = load('upstreams: { search-v2: { urls: [https://search.internal/api/], retries: 0 } }');
    expect(config.upstreams['search-v2']).toEqual({
      ...upstreamDefaults(['https://search.internal/api']),
      retries: 0,
    });
  });
});

describe('environment', () => {
  it('wins over the file', () => {
    const yaml = `
server: { host: 127.0.0.1, port: 5000, requestTimeoutMs: 3000 }
upstreams: { users: { urls: [http://file-users:1], timeoutMs: 500 } }
log: { level: debug }
`;
    const { config } = load(yaml, { PORT: '6000', USERS_URL: 'http://env-users:2', LOG_LEVEL: 'warn' });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 6000, requestTimeoutMs: 3000 });
    expect(config.upstreams.users).toMatchObject({ urls: ['http://env-users:2'], timeoutMs: 500 });
    expect(config.log.level).toBe('warn');
  });

  it('sets every documented key', () => {
    const { config } = load('rateLimits: { store: redis }', {
      HOST: '::',
      JWT_SECRET: 'shh-0123456789',
      JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----',
      JWT_JWKS_URL: 'https://idp.test/.well-known/jwks.json',
      JWT_ISSUER: 'https://idp.test',
      JWT_AUDIENCE: 'switchboard',
      REDIS_URL: 'redis://:pw@127.0.0.1:6379',
    });
    expect(config.server.host).toBe('::');
    expect(config.auth.jwt).toMatchObject({
      secret: 'shh-0123456789',
      // Literal "\n" in the variable become newlines.
      publicKey: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----',
      jwksUrl: 'https://idp.test/.well-known/jwks.json',
      issuer: 'https://idp.test',
      audience: 'switchboard',
    });
    expect(config.redis.url).toBe('redis://:pw@127.0.0.1:6379');
  });

  it('reads PRODUCTS_URL as a comma list, trimmed, without trailing slashes', () => {
    const { config } = load(undefined, {
      PRODUCTS_URL: ' http://p1:4004/ ,http://p2:4005,, https://p3/base/ ',
    });
    expect(config.upstreams.products?.urls).toEqual(['http://p1:4004', 'http://p2:4005', 'https://p3/base']);
  });

  it('ignores empty variables', () => {
    const { config } = load('server: { port: 5000 }', { PORT: '', HOST: '', LOG_LEVEL: '', JWT_SECRET: '' });
    expect(config.server).toMatchObject({ port: 5000, host: '0.0.0.0' });
    expect(config.log.level).toBe('info');
    expect(config.auth.jwt.secret).toBeUndefined();
  });

  it('turns introspection and sandbox off by default with NODE_ENV=production', () => {
    const production = load(undefined, { NODE_ENV: 'production' }).config;
    expect(production.production).toBe(true);
    expect(production.server).toMatchObject({ introspection: false, sandbox: false });
    const development = load(undefined, { NODE_ENV: 'development' }).config;
    expect(development.production).toBe(false);
    expect(development.server).toMatchObject({ introspection: true, sandbox: true });
  });

  it('keeps introspection or sandbox on in production when the config sets them', () => {
    const { config } = load('server: { introspection: true }', { NODE_ENV: 'production' });
    expect(config.server).toMatchObject({ introspection: true, sandbox: false });
  });

  it.each([
    ['abc', 'server.port (from PORT) must be an integer, received a string ("abc")'],
    ['40.5', 'server.port (from PORT) must be an integer, received a string ("40.5")'],
    ['70000', 'server.port (from PORT) must be between 0 and 65535, received 70000'],
    ['-1', 'server.port (from PORT) must be between 0 and 65535, received -1'],
  ])('rejects PORT=%s', (port, message) => {
    expect(errorsOf(undefined, { PORT: port })).toEqual([message]);
  });

  it('accepts PORT=0 (any free port)', () => {
    expect(load(undefined, { PORT: '0' }).config.server.port).toBe(0);
  });
});

describe('${VAR} interpolation', () => {
  it('replaces variables, with fallbacks, in any string', () => {
    const yaml = `
server: { host: "\${BIND}", port: "\${GATEWAY_PORT}", sandbox: "\${SANDBOX}" }
upstreams:
  users: { urls: ["http://\${USERS_HOST}:4001", "http://\${USERS_HOST2:-users-b}:4001"] }
clients: { dir: "\${CLIENTS_DIR:-custom/clients}" }
`;
    const env = {
      BIND: '127.0.0.1',
      GATEWAY_PORT: '4100',
      SANDBOX: 'false',
      USERS_HOST: 'users-a',
      USERS_URL: '',
    };
    const { config } = load(yaml, env);
    // Variables that stand for a whole number or boolean become one.
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4100, sandbox: false });
    expect(config.upstreams.users?.urls).toEqual(['http://users-a:4001', 'http://users-b:4001']);
    expect(config.clients.dir).toBe('custom/clients');
  });

  it('prefers a set variable over its fallback, and treats an empty one as unset', () => {
    const yaml = 'clients: { dir: "${A:-x}" }\nlog: { level: "${B:-debug}" }';
    const { config } = load(yaml, { A: 'from-a', B: '' });
    expect(config.clients.dir).toBe('from-a');
    expect(config.log.level).toBe('debug');
  });

  it('drops a key whose whole value is an unset variable, so its default applies', () => {
    // Unquoted ${...} is fine in block style; in flow style ({ }) YAML would read the braces.
    const yaml = `
server: { port: "\${UNSET_PORT}" }
limits:
  maxDepth: \${UNSET_DEPTH}
  maxCost: 100
upstreams: { users: { urls: ["\${UNSET_A}", "\${UNSET_B}"] } }
`;
    const { config } = load(yaml);
    expect(config.server.port).toBe(4000);
    expect(config.limits).toMatchObject({ maxDepth: 12, maxCost: 100 });
    // A list of nothing but unset variables is not given either: USERS_URL fills it.
    expect(config.upstreams.users?.urls).toEqual(['http://127.0.0.1:4001']);
  });

  it('reports an unset variable inside a longer value, naming the key and the variable', () => {
    const errors = errorsOf('upstreams: { orders: { urls: ["http://${ORDERS_HOST}:4002"] } }', {
      ORDERS_URL: '',
    });
    expect(errors).toEqual([
      'upstreams.orders.urls[0] uses ${ORDERS_HOST}, which is not set (set it, or write ${ORDERS_HOST:-fallback} for a default)',
    ]);
  });

  it('does not turn quoted numbers from the file itself into numbers', () => {
    expect(errorsOf('server: { port: "4000" }')).toEqual([
      'server.port must be an integer, received a string ("4000")',
    ]);
  });

  it('names the variable when its value is wrong', () => {
    expect(errorsOf('limits: { maxCost: "${COST}" }', { COST: 'lots' })).toEqual([
      'limits.maxCost (from ${COST}) must be an integer, received a string ("lots")',
    ]);
  });
});

describe('API keys', () => {
  it('skips an entry whose key variable is unset, with a warning', () => {
    const { config, warnings } = loadConfig({
      file: exampleFile,
      env: {
        WEB_API_KEY: 'web-key-0123456789abcdef',
        JWT_ISSUER: 'issuer',
        JWT_AUDIENCE: 'audience',
        DEMO_TOKEN: 'token',
      },
    });
    expect(config.auth.apiKeys).toEqual([{ key: 'web-key-0123456789abcdef', client: 'web', tier: 'pro' }]);
    expect(warnings).toEqual([
      'auth.apiKeys[1] skipped: its key comes from ${MOBILE_API_KEY}, which is not set',
    ]);
  });

  it('rejects short keys, bad client names, unknown tiers and duplicates without echoing keys', () => {
    const yaml = `
auth:
  apiKeys:
    - { key: short-key-1, client: web, tier: pro }
    - { key: long-enough-key-123, client: "web app", tier: free }
    - { key: long-enough-key-123, client: mobile, tier: gold }
    - { client: partner, tier: free }
`;
    const error = configError(() => load(yaml));
    expect(error.errors).toEqual([
      'auth.apiKeys[0].key must be at least 16 characters',
      'auth.apiKeys[1].client must be 1 to 64 letters, digits, dots, dashes or underscores',
      'auth.apiKeys[3].key is required',
      'auth.apiKeys[2].tier must name a configured rateLimits tier (anonymous, free, pro)',
      'auth.apiKeys[2].key repeats the key of auth.apiKeys[1]: each key must be unique',
    ]);
    expect(error.message).not.toContain('short-key-1');
    expect(error.message).not.toContain('long-enough-key-123');
  });

  it('accepts a tier that only the config defines', () => {
    const yaml = `
rateLimits: { tiers: { gold: { requests: 10000, windowSeconds: 30 } } }
auth: { apiKeys: [{ key: gold-key-0123456789, client: partner, tier: gold }] }
`;
    const { config } = load(yaml);
    expect(config.auth.apiKeys).toHaveLength(1);
    // Given tiers replace the defaults, but callers without a key still need `anonymous`.
    expect(config.rateLimits.tiers).toEqual({
      gold: { requests: 10000, windowSeconds: 30, dailyRequests: 0 },
      anonymous: { requests: 300, windowSeconds: 60, dailyRequests: 0 },
    });
  });
});

describe('errors', () => {
  it('names an unknown key by its full path and suggests the near miss', () => {
    expect(errorsOf('server: { prot: 4001 }')).toEqual([
      'server.prot is not a known key (did you mean server.port?)',
    ]);
    expect(errorsOf('upstreams: { products: { breaker: { resetTimeout: 5 } } }')).toEqual([
      'upstreams.products.breaker.resetTimeout is not a known key (did you mean upstreams.products.breaker.resetTimeoutMs?)',
    ]);
    expect(errorsOf('metrics: { enabled: true }')).toEqual([
      'metrics is not a known key (known keys: server, upstreams, routes, subscriptions, auth, rateLimits, redis, limits, cache, clients, persistedQueries, trustedDocuments, log, tracing, production)',
    ]);
  });

  it('names the key, the expected type and the received type', () => {
    const yaml = `
server: { introspection: yes, host: 8080 }
limits: { maxDepth: 2.5 }
upstreams: { users: "http://127.0.0.1:4001" }
clients: [schema]
`;
    expect(errorsOf(yaml)).toEqual([
      'server.host must be a string, received a number (8080)',
      'server.introspection must be a boolean (true or false), received a string ("yes")',
      'upstreams.users must be a mapping, received a string ("http://127.0.0.1:4001")',
      'limits.maxDepth must be an integer, received a number (2.5)',
      'clients must be a mapping, received a list',
    ]);
  });

  it.each([
    ['server: { port: 70000 }', 'server.port must be between 0 and 65535, received 70000'],
    ['server: { bodyLimitBytes: 100 }', 'server.bodyLimitBytes must be at least 1024, received 100'],
    ['server: { requestTimeoutMs: 0 }', 'server.requestTimeoutMs must be at least 1, received 0'],
    ['upstreams: { users: { retries: 6 } }', 'upstreams.users.retries must be between 0 and 5, received 6'],
    [
      'upstreams: { users: { maxConnections: 0 } }',
      'upstreams.users.maxConnections must be at least 1, received 0',
    ],
    [
      'upstreams: { users: { breaker: { errorThresholdPercent: 0 } } }',
      'upstreams.users.breaker.errorThresholdPercent must be between 1 and 100, received 0',
    ],
    [
      'upstreams: { users: { breaker: { volumeThreshold: -1 } } }',
      'upstreams.users.breaker.volumeThreshold must be at least 0, received -1',
    ],
    [
      'rateLimits: { tiers: { free: { requests: 0 } } }',
      'rateLimits.tiers.free.requests must be at least 1, received 0',
    ],
    ['rateLimits: { tiers: { free: { windowSeconds: 60 } } }', 'rateLimits.tiers.free.requests is required'],
    ['limits: { maxCost: 0 }', 'limits.maxCost must be at least 1, received 0'],
    [
      'log: { level: verbose }',
      'log.level must be one of fatal, error, warn, info, debug, trace, silent, received "verbose"',
    ],
    [
      'rateLimits: { store: memcached }',
      'rateLimits.store must be one of memory, redis, received "memcached"',
    ],
    [
      'auth: { jwt: { algorithms: [HS256, none] } }',
      'auth.jwt.algorithms[1] must be one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
    ],
    ['auth: { jwt: { algorithms: [] } }', 'auth.jwt.algorithms must have at least 1 entry'],
    [
      'upstreams: { Search: { urls: [http://s] } }',
      'upstreams.Search is not a valid name: use lowercase letters, digits and dashes, starting with a letter',
    ],
  ])('rejects %s', (yaml, message) => {
    expect(errorsOf(yaml)).toEqual([message]);
  });

  it.each([
    ['ftp://files:21', 'must be an absolute http or https URL'],
    ['/users', 'must be an absolute http or https URL'],
    ['users:4001', 'must be an absolute http or https URL'],
    ['http://users:4001/?debug=1', 'must be an absolute http or https URL without query or fragment'],
    ['http://users:4001/#top', 'must be an absolute http or https URL without query or fragment'],
  ])('rejects the upstream URL %s', (url, problem) => {
    expect(errorsOf(`upstreams: { users: { urls: ["${url}"] } }`, { USERS_URL: '' })).toEqual([
      `upstreams.users.urls[0] ${problem}, received ${JSON.stringify(url)}`,
    ]);
    expect(errorsOf(undefined, { USERS_URL: url })).toEqual([
      `upstreams.users.urls[0] (from USERS_URL) ${problem}, received ${JSON.stringify(url)}`,
    ]);
  });

  it('rejects an empty URL list', () => {
    expect(errorsOf('upstreams: { users: { urls: [] } }', { USERS_URL: '' })).toEqual([
      'upstreams.users.urls must have at least 1 entry',
    ]);
  });

  it.each([
    ['users', 'USERS_URL'],
    ['orders', 'ORDERS_URL'],
    ['notifications', 'NOTIFICATIONS_URL'],
    ['products', 'PRODUCTS_URL'],
  ])('requires upstreams.%s.urls', (service, variable) => {
    expect(errorsOf(undefined, { [variable]: '' })).toEqual([
      `upstreams.${service}.urls is required: set it in the config file or the ${variable} environment variable`,
    ]);
  });

  it('requires urls for a client-defined upstream', () => {
    expect(errorsOf('upstreams: { search: { timeoutMs: 100 } }')).toEqual([
      'upstreams.search.urls is required',
    ]);
  });

  it('requires redis.url for the redis store', () => {
    expect(errorsOf('rateLimits: { store: redis }')).toEqual([
      'redis.url is required when rateLimits.store is redis: set it in the config file or the REDIS_URL environment variable',
    ]);
    expect(
      load('rateLimits: { store: redis }', { REDIS_URL: 'redis://127.0.0.1:6379' }).config.redis.url,
    ).toBe('redis://127.0.0.1:6379');
  });

  it('reports invalid YAML with the file and line', () => {
    const file = writeConfig('server:\n  port: 4000\n  host: [unclosed\nlimits: {}\n');
    const error = configError(() => loadConfig({ file, env: urlEnv }));
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]).toMatch(
      new RegExp(`^config file ${file} is not valid YAML at line \\d+, column \\d+: `),
    );
  });

  it('reports duplicate YAML keys as invalid YAML', () => {
    const file = writeConfig('server: { port: 1 }\nserver: { port: 2 }\n');
    expect(configError(() => loadConfig({ file, env: urlEnv })).errors).toEqual([
      `config file ${file} is not valid YAML at line 2, column 1: Map keys must be unique`,
    ]);
  });

  it('rejects a file whose top level is not a mapping', () => {
    const file = writeConfig('- server\n- limits\n');
    expect(configError(() => loadConfig({ file, env: urlEnv })).errors).toEqual([
      `config file ${file} must hold a mapping of keys at the top level, not a list`,
    ]);
  });

  it('reports a missing file by name', () => {
    const file = join(dir, 'nope.yaml');
    const error = configError(() => loadConfig({ file, env: urlEnv }));
    expect(error.errors).toEqual([`config file ${file} does not exist`]);
    expect(error.message).toContain(file);
  });

  it('collects every problem into one error, one per line', () => {
    const yaml = `
server: { port: 99999, prot: 1 }
upstreams: { orders: { timeoutMs: 0 } }
rateLimits: { store: redis }
log: { level: loud }
`;
    const error = configError(() => loadConfig({ file: writeConfig(yaml), env: { USERS_URL: 'http://u' } }));
    expect(error.errors).toEqual([
      'server.prot is not a known key (did you mean server.port?)',
      'server.port must be between 0 and 65535, received 99999',
      'upstreams.orders.urls is required: set it in the config file or the ORDERS_URL environment variable',
      'upstreams.orders.timeoutMs must be at least 1, received 0',
      'upstreams.notifications.urls is required: set it in the config file or the NOTIFICATIONS_URL environment variable',
      'upstreams.products.urls is required: set it in the config file or the PRODUCTS_URL environment variable',
      'log.level must be one of fatal, error, warn, info, debug, trace, silent, received "loud"',
      'redis.url is required when rateLimits.store is redis: set it in the config file or the REDIS_URL environment variable',
    ]);
    expect(error.message.split('\n').slice(1)).toEqual(error.errors.map((line) => `  - ${line}`));
    expect(error.message.split('\n')[0]).toContain('Invalid gateway configuration in');
    expect(error.code).toBe('CONFIG_INVALID');
  });

  it('never echoes values under auth or redis', () => {
    const secret = 'super-secret-hmac-value-42';
    const yaml = `
auth:
  jwt: { secret: [${secret}], issuer: 42, clockToleranceSeconds: -7, jwksUrl: "not a url ${secret}" }
  apiKeys: [{ key: 12345678901234567890, client: web, tier: pro }]
redis: { url: "http://user:${secret}@cache:6379" }
`;
    const error = configError(() => load(yaml, { JWT_AUDIENCE: '' }));
    expect(error.errors).toEqual([
      'auth.jwt.secret must be a string, received a list',
      'auth.jwt.jwksUrl must be an absolute http or https URL',
      'auth.jwt.issuer must be a string, received a number',
      'auth.jwt.clockToleranceSeconds must be at least 0',
      'auth.apiKeys[0].key must be a string, received a number',
      'redis.url must be an absolute redis or rediss URL',
    ]);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('12345678901234567890');
    expect(error.message).not.toContain('-7');
  });

  it('never echoes secrets from the environment', () => {
    const error = configError(() => load(undefined, { JWT_JWKS_URL: 'leaky-secret-value' }));
    expect(error.errors).toEqual([
      'auth.jwt.jwksUrl (from JWT_JWKS_URL) must be an absolute http or https URL',
    ]);
    expect(error.message).not.toContain('leaky-secret-value');
  });
});

describe('the keys of gRPC upstreams, routes, subscriptions and the IDE', () => {
  it('RECOMMENDATIONS_URL alone turns on a gRPC recommendations service with the bundled proto', () => {
    const { config } = load(undefined, { RECOMMENDATIONS_URL: '127.0.0.1:4010' });
    expect(config.upstreams.recommendations).toEqual({
      ...upstreamDefaults(['127.0.0.1:4010']),
      protocol: 'grpc',
      proto: 'proto/recommendations.proto',
    });
  });

  it.each([
    [
      'upstreams: { recommendations: { protocol: grpc, urls: ["http://r:1"] } }',
      'upstreams.recommendations.urls[0] must be host:port (a gRPC target), received "http://r:1"',
    ],
    [
      'upstreams: { recommendations: { protocol: soap, urls: ["r:1"] } }',
      'upstreams.recommendations.protocol must be one of http, grpc, received "soap"',
    ],
    ['upstreams: { users: { proto: x.proto } }', 'upstreams.users.proto is for protocol grpc only'],
    [
      'server: { workers: 0 }',
      'server.workers must be a whole number of processes (1 to 256) or "auto", received 0',
    ],
    [
      'server: { workers: many }',
      'server.workers must be a whole number of processes (1 to 256) or "auto", received "many"',
    ],
    [
      'server: { sandboxIde: altair }',
      'server.sandboxIde must be one of graphiql, apollo, received "altair"',
    ],
    [
      'server: { maxConnectionsPerClient: -1 }',
      'server.maxConnectionsPerClient must be at least 0, received -1',
    ],
    ['subscriptions: { maxQueuedEvents: 0 }', 'subscriptions.maxQueuedEvents must be at least 1, received 0'],
    [
      'subscriptions: { maxPerUsers: 3 }',
      'subscriptions.maxPerUsers is not a known key (did you mean subscriptions.maxPerUser?)',
    ],
    [
      'cache: { entities: sometimes }',
      'cache.entities must be a boolean (true or false), received a string ("sometimes")',
    ],
    [
      'routes: [{ path: api, upstream: products }]',
      'routes[0].path must start with "/", without a query, "#", spaces or "." / ".." segments, received "api"',
    ],
    [
      'routes: [{ path: /a/../b, upstream: products }]',
      'routes[0].path must start with "/", without a query, "#", spaces or "." / ".." segments, received "/a/../b"',
    ],
    [
      'routes: [{ path: /api, upstream: nowhere }]',
      'routes[0].upstream names no upstream (configured: users, orders, notifications, products)',
    ],
    [
      'routes: [{ path: /api, upstream: products, methods: [FETCH] }]',
      'routes[0].methods[0] must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, received "FETCH"',
    ],
    [
      'routes: [{ path: /api, upstream: products, auth: root }]',
      'routes[0].auth must be one of none, user, admin, received "root"',
    ],
    [
      'routes: [{ path: /a, upstream: products }, { path: /a, upstream: users }]',
      'routes[1].path repeats the path of routes[0]',
    ],
    [
      'routes: [{ path: /a, upstream: products }, { path: /a/, upstream: users }]',
      'routes[1].path repeats the path of routes[0]',
    ],
    [
      'routes: [{ path: /metrics, upstream: products }]',
      "routes[0].path /metrics is under the gateway's own /metrics: choose another path",
    ],
    [
      'routes: [{ path: /graphql/rest, upstream: products }]',
      "routes[0].path /graphql/rest is under the gateway's own /graphql: choose another path",
    ],
    [
      'routes: [{ path: /api, upstream: products, rewrite: /a/.. }]',
      'routes[0].rewrite must not have "." or ".." segments, received "/a/.."',
    ],
    [
      'routes: [{ path: /api, upstream: products, responseHeaders: { set: { Transfer-Encoding: gzip } } }]',
      'routes[0].responseHeaders.set.Transfer-Encoding is a hop-by-hop or framing header: it cannot be set',
    ],
    [
      'routes: [{ path: /api, upstream: products, requestHeaders: { remove: ["not a name"] } }]',
      'routes[0].requestHeaders.remove[0] must be a header name (letters, digits and !#$%&\'*+.^_`|~-), received "not a name"',
    ],
    [
      'upstreams: { users: { requestHeaders: { set: { connection: close } } } }',
      'upstreams.users.requestHeaders.set.connection is a hop-by-hop or framing header: it cannot be set',
    ],
    [
      'upstreams: { users: { requestHeaders: { set: { "bad name": x } } } }',
      "upstreams.users.requestHeaders.set.bad name is not a valid name: it must be a header name (letters, digits and !#$%&'*+.^_`|~-)",
    ],
    [
      'upstreams: { users: { requestHeaders: { set: { x-a: "one\\ntwo" } } } }',
      'upstreams.users.requestHeaders.set.x-a must be a header value (no line breaks or control characters), received "one\\ntwo"',
    ],
  ])('rejects %s', (yaml, message) => {
    expect(errorsOf(yaml, { RECOMMENDATIONS_URL: '' })).toEqual([message]);
  });

  it('accepts routes with their defaults, and the IDE defaults', () => {
    const { config } = load(`
server: { workers: auto, sandboxDefaults: { query: "{ me { id } }", headers: { x-api-key: k } } }
routes:
  - { path: /api/products, upstream: products, rewrite: /products }
  - { path: /graphqlx/, upstream: users, rewrite: /users/, methods: [GET, POST], auth: admin, timeoutMs: 500 }
  - { path: /, upstream: orders, rewrite: / }
`);
    expect(config.routes).toEqual([
      { path: '/api/products', upstream: 'products', rewrite: '/products', methods: ['GET'], auth: 'none' },
      // Trailing slashes dropped: `/graphqlx` is not under `/graphql`.
      {
        path: '/graphqlx',
        upstream: 'users',
        rewrite: '/users',
        methods: ['GET', 'POST'],
        auth: 'admin',
        timeoutMs: 500,
      },
      { path: '/', upstream: 'orders', rewrite: '/', methods: ['GET'], auth: 'none' },
    ]);
    expect(config.server.workers).toBe('auto');
    expect(config.server.sandboxDefaults).toEqual({ query: '{ me { id } }', headers: { 'x-api-key': 'k' } });
  });

  it('never echoes credentials in a URL, in any key', () => {
    const password = 'pa55-w0rd-do-not-leak';
    const error = configError(() =>
      load(
        `upstreams: { users: { urls: ["ftp://admin:${password}@users:21"] } }\ntracing: { otlpEndpoint: "ftp://a:${password}@c" }`,
        {
          USERS_URL: '',
        },
      ),
    );
    expect(error.errors).toEqual([
      'tracing.otlpEndpoint must be an absolute http or https URL, received "ftp://a:***@c"',
      'upstreams.users.urls[0] must be an absolute http or https URL, received "ftp://admin:***@users:21"',
    ]);
    expect(error.message).not.toContain(password);
  });

  it('records whether rateLimits.store was given (several processes need it said)', () => {
    expect(load().config.rateLimits).toMatchObject({ store: 'memory', storeExplicit: false });
    expect(load('rateLimits: { store: memory }').config.rateLimits).toMatchObject({
      store: 'memory',
      storeExplicit: true,
    });
  });
});
