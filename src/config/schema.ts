import { type Static, type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';
import { clientNamePattern } from './names.js';

// The configuration's one schema (TypeBox, checked by Ajv in validate.ts): it gives the types
// (types.ts), the defaults and the validation. Switchboard's own annotations, read by validate.ts:
//  - `secret`: values under it are never echoed in a message;
//  - `url`: the URL schemes a string accepts (and whether a query may follow);
//  - `patternHint` / `keyHint`: what a pattern means, for the message;
//  - `requiredHint`: what to tell when the key is missing.

/** The environment variable that can set each required service's URLs. */
export const serviceUrlVariables: Readonly<Record<string, string>> = {
  users: 'USERS_URL',
  orders: 'ORDERS_URL',
  notifications: 'NOTIFICATIONS_URL',
  products: 'PRODUCTS_URL',
};

/** The JWT algorithms jose can verify; `none` is deliberately absent. */
export const jwtAlgorithms = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** The tiers used when the config names none; `anonymous` is kept even when others are given. */
export const defaultTiers = {
  anonymous: { requests: 300, windowSeconds: 60, dailyRequests: 0 },
  free: { requests: 600, windowSeconds: 60, dailyRequests: 0 },
  pro: { requests: 6000, windowSeconds: 60, dailyRequests: 0 },
};

/** Hop-by-hop headers (RFC 9110 §7.6.1) and framing: never set by a transform, never passed on. */
export const hopByHopHeaders = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
] as const;

/** The bundled proto of the recommendations service, relative to the package root. */
export const bundledProto = 'proto/recommendations.proto';

const int = (defaultValue: number | undefined, minimum: number, maximum?: number, description?: string) =>
  Type.Integer({ default: defaultValue, minimum, maximum, description });
const text = (defaultValue?: string, description?: string) =>
  Type.String({ minLength: 1, default: defaultValue, description });
const bool = (defaultValue: boolean, description?: string) =>
  Type.Boolean({ default: defaultValue, description });
const oneOf = <T extends string>(values: readonly T[], defaultValue?: T, description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], default: defaultValue, description });
/** An object whose missing keys take their defaults; unknown keys are errors. */
const section = <T extends TProperties>(properties: T, options: Record<string, unknown> = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, default: {}, ...options });
/** Keys absent unless given (a few are filled in after validation: see validate.ts). */
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const list = <T extends TSchema>(item: T, options: Record<string, unknown> = {}) => Type.Array(item, options);

const breaker = section({
  errorThresholdPercent: int(50, 1, 100, 'opens when at least this share of calls in the window failed'),
  volumeThreshold: int(10, 0, undefined, '...and at least this many calls were made in the window'),
  rollingWindowMs: int(10_000, 1),
  resetTimeoutMs: int(10_000, 1, undefined, 'open -> half-open after this long; one trial call decides'),
});

const headerName = Type.String({
  pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
  patternHint: "be a header name (letters, digits and !#$%&'*+.^_`|~-)",
});
const headerValue = Type.String({
  pattern: '^[\\t\\x20-\\x7e\\x80-\\xff]*$',
  patternHint: 'be a header value (no line breaks or control characters)',
});

/** `{ set: { name: value }, remove: [name] }`: applied after the allow-list (validate.ts refuses hop-by-hop names). */
const headerTransform = Type.Object(
  {
    set: opt(Type.Record(Type.String(), headerValue, { propertyNames: headerName })),
    remove: opt(list(headerName)),
  },
  { additionalProperties: false },
);

const upstream = Type.Object(
  {
    urls: list(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'base URLs (http) or host:port (grpc); several are replicas, balanced round-robin',
    }),
    protocol: oneOf(['http', 'grpc'] as const, 'http', 'how the service is reached'),
    proto: opt(text(undefined, 'grpc only: the .proto file (default: the bundled recommendations.proto)')),
    timeoutMs: int(2000, 1, undefined, 'per attempt'),
    maxConnections: int(64, 1, undefined, 'keep-alive pool per URL'),
    // More than a handful of retries turns one slow service into a retry storm.
    retries: int(1, 0, 5, 'extra attempts, idempotent calls only, on another replica when there is one'),
    breaker,
    maxResponseBytes: int(5 * 1024 * 1024, 1),
    staleIfErrorSeconds: int(0, 0, undefined, 'serve the last good answer this long when the service fails'),
    requestHeaders: opt(headerTransform),
  },
  { additionalProperties: false, default: {}, requiredHint: 'urls' },
);

const route = Type.Object(
  {
    path: Type.String({
      pattern: '^/(?!.*(?:^|/)\\.{1,2}(?:/|$))[^?#\\s]*$',
      patternHint: 'start with "/", without a query, "#", spaces or "." / ".." segments',
    }),
    upstream: Type.String({ minLength: 1 }),
    rewrite: opt(
      Type.String({ pattern: '^/[^?#\\s]*$', patternHint: 'start with "/", without a query, "#" or spaces' }),
    ),
    methods: list(oneOf(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const), {
      minItems: 1,
      default: ['GET'],
    }),
    auth: oneOf(['none', 'user', 'admin'] as const, 'none'),
    requestHeaders: opt(headerTransform),
    responseHeaders: opt(headerTransform),
    timeoutMs: opt(
      int(undefined, 1, undefined, 'bounds the wait for the response headers, not a long download'),
    ),
  },
  { additionalProperties: false },
);

/** Every configuration key: its type, default and bounds. */
export const gatewaySchema = Type.Object(
  {
    server: section({
      host: text('0.0.0.0'),
      port: int(4000, 0, 65_535),
      // Below 1 KiB even an ordinary query with variables would be refused.
      bodyLimitBytes: int(1024 * 1024, 1024, undefined, 'larger bodies get 413'),
      requestTimeoutMs: int(10_000, 1, undefined, 'deadline for a whole GraphQL request'),
      shutdownGraceMs: int(
        10_000,
        0,
        undefined,
        'on SIGTERM: /ready 503, in-flight requests finish, then exit',
      ),
      // Slowloris: a client that trickles its headers is cut after this.
      headersTimeoutMs: int(10_000, 1),
      // Above common load balancers' 60 s idle timeout, so the balancer closes first (no races).
      keepAliveTimeoutMs: int(72_000, 1),
      maxConnections: int(10_000, 1),
      // One client's idle keep-alive connections must not take every slot.
      maxConnectionsPerClient: int(256, 0, undefined, 'open connections per client address (0 = no cap)'),
      // A healthy loop answers in under a few ms; a full second of delay means we are queueing.
      maxEventLoopDelayMs: int(1_000, 0),
      trustedProxies: list(Type.String({ minLength: 1 }), { default: [] }),
      // Node's default; a browser's request head is a few KiB, tokens included.
      maxHeaderBytes: int(16_384, 1_024),
      maxHeadersCount: int(100, 10),
      cors: section({
        // Exact origins ("https://app.example.com"), or "*" for any origin (never with credentials).
        origins: list(Type.String({ minLength: 1 }), { default: [] }),
        credentials: bool(false),
        maxAgeSeconds: int(600, 0),
      }),
      // Production hides the schema and the IDE unless the config asks for them (validate.ts).
      introspection: opt(Type.Boolean()),
      sandbox: opt(
        Type.Boolean({ description: 'the GraphQL IDE at GET /graphql; default false in production' }),
      ),
      sandboxIde: oneOf(
        ['graphiql', 'apollo'] as const,
        'graphiql',
        'graphiql (self-hosted) or apollo (its CDN)',
      ),
      sandboxDefaults: section({
        query: opt(Type.String()),
        headers: opt(Type.Record(Type.String(), Type.String(), { propertyNames: headerName })),
      }),
      workers: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
        default: 1,
        unionHint: 'a whole number of processes (1 to 256) or "auto"',
      }),
      watchConfig: bool(false, 'reload on a change to the config file or clients.dir, as on SIGHUP'),
    }),
    upstreams: Type.Record(Type.String(), upstream, {
      default: {},
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      keyHint: 'use lowercase letters, digits and dashes, starting with a letter',
    }),
    routes: list(route, { default: [] }),
    subscriptions: section({
      maxPerConnection: int(10, 1),
      maxPerUser: int(20, 1),
      maxConnections: int(10_000, 1, undefined, 'WebSocket and SSE connections per instance'),
      keepAliveMs: int(12_000, 1_000),
      maxQueuedEvents: int(
        100,
        1,
        undefined,
        'a consumer further behind gets an error and its subscription ends',
      ),
      connectionInitTimeoutMs: int(5_000, 100),
      maxMessageBytes: int(65_536, 1_024),
    }),
    auth: section(
      {
        jwt: section({
          secret: opt(text()),
          // Env variables often carry a PEM on one line with literal "\n" (validate.ts restores them).
          publicKey: opt(text()),
          jwksUrl: opt(Type.String({ url: 'http-with-query' })),
          algorithms: list(oneOf(jwtAlgorithms), {
            minItems: 1,
            default: ['HS256', 'RS256', 'ES256', 'EdDSA'],
          }),
          issuer: opt(text()),
          audience: opt(text()),
          clockToleranceSeconds: int(5, 0),
        }),
        apiKeys: list(
          Type.Object(
            {
              // Short keys can be guessed; 16 characters is the least we accept.
              key: Type.String({ minLength: 16 }),
              client: Type.String({
                pattern: clientNamePattern.source,
                patternHint: 'be 1 to 64 letters, digits, dots, dashes or underscores',
              }),
              tier: Type.String({ minLength: 1 }),
            },
            { additionalProperties: false },
          ),
          { default: [] },
        ),
      },
      { secret: true },
    ),
    rateLimits: section({
      // No static default: redis when redis.url (REDIS_URL) is set, else memory (validate.ts).
      store: opt(oneOf(['memory', 'redis'] as const)),
      failOpen: bool(true),
      tiers: Type.Record(
        Type.String(),
        Type.Object(
          { requests: int(undefined, 1), windowSeconds: int(60, 1), dailyRequests: int(0, 0) },
          { additionalProperties: false },
        ),
        { default: defaultTiers },
      ),
    }),
    // The URL may carry a password.
    redis: section({ url: opt(Type.String({ url: 'redis' })) }, { secret: true }),
    limits: section({
      maxDepth: int(12, 1),
      maxAliases: int(30, 1),
      maxRootFields: int(20, 1),
      maxCost: int(5000, 1),
      maxOperationsPerBatch: int(10, 1),
      // The dashboard query is ~100 tokens and a full introspection query ~300.
      maxTokens: int(5_000, 100),
      maxDirectivesPerField: int(5, 1),
    }),
    cache: section({
      // On by default: it only reuses what the services themselves declare reusable.
      upstream: bool(true, 'the upstream HTTP cache (GET answers by URL)'),
      maxEntries: int(10_000, 1),
      upstreamMaxBytes: int(
        32 * 1024 * 1024,
        1024,
        undefined,
        'bound of the in-memory HTTP and stale caches',
      ),
      entities: bool(true, 'the entity cache: records of batch look-ups, one by one'),
      entityMaxBytes: int(64 * 1024 * 1024, 1024),
      // Whole answers, by the schema's @cacheControl hints and the services' headers.
      responses: bool(true),
      responseMaxBytes: int(32 * 1024 * 1024, 1024),
    }),
    clients: section({ dir: text('schema/clients') }),
    persistedQueries: section({
      apq: bool(true),
      // A day: a client re-registers after a miss at the cost of one round trip.
      ttlSeconds: int(86_400, 1),
      // Texts can be as long as the body limit: the memory store is bounded in bytes, not entries.
      maxCacheBytes: int(16 * 1024 * 1024, 1024),
    }),
    trustedDocuments: section({
      dir: text('schema/trusted'),
      // Production deployments should say `enforce`: then only the clients' own operations run.
      mode: oneOf(['off', 'allow', 'enforce'] as const, 'off'),
    }),
    log: section({
      level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    }),
    tracing: section({
      // Off by default: spans cost CPU on every request and need a collector to go to.
      enabled: bool(false),
      otlpEndpoint: opt(Type.String({ url: 'http' })),
      serviceName: text('switchboard'),
      sampleRatio: Type.Number({ default: 1, minimum: 0, maximum: 1 }),
    }),
    production: bool(false),
  },
  { additionalProperties: false },
);

/** The configuration as the schema checks it; validate.ts fills in what depends on other keys. */
export type SchemaConfig = Static<typeof gatewaySchema>;
