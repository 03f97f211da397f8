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

/** `server.workers` and `--workers` take at most this many processes. */
export const maxWorkers = 256;

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
  rollingWindowMs: int(10_000, 1, undefined, 'the window failures are counted over'),
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
    maxResponseBytes: int(5 * 1024 * 1024, 1, undefined, 'larger answers are UPSTREAM_ERROR'),
    staleIfErrorSeconds: int(0, 0, undefined, 'serve the last good answer this long when the service fails'),
    requestHeaders: opt(
      Type.Object(headerTransform.properties, {
        additionalProperties: false,
        description: 'headers set or removed on every call to this service, after the allow-list',
      }),
    ),
  },
  { additionalProperties: false, default: {}, requiredHint: 'urls' },
);

const route = Type.Object(
  {
    path: Type.String({
      pattern: '^/(?!.*(?:^|/)\\.{1,2}(?:/|$))[^?#\\s]*$',
      patternHint: 'start with "/", without a query, "#", spaces or "." / ".." segments',
      description: 'requests to this path, or below it (`path/...`), are proxied',
    }),
    upstream: Type.String({ minLength: 1, description: 'the service (a key of upstreams) requests go to' }),
    rewrite: opt(
      Type.String({
        pattern: '^/[^?#\\s]*$',
        patternHint: 'start with "/", without a query, "#" or spaces',
        description: 'replaces the `path` prefix upstream (default: kept)',
      }),
    ),
    methods: list(oneOf(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const), {
      minItems: 1,
      default: ['GET'],
      description: 'other methods get 405',
    }),
    auth: oneOf(
      ['none', 'user', 'admin'] as const,
      'none',
      'user: a valid JWT (else 401); admin: an ADMIN one (else 403)',
    ),
    requestHeaders: opt(
      Type.Object(headerTransform.properties, {
        additionalProperties: false,
        description: '`{ set: {name: value}, remove: [name] }` on the way up, after the allow-list',
      }),
    ),
    responseHeaders: opt(
      Type.Object(headerTransform.properties, {
        additionalProperties: false,
        description: 'the same on the way back to the caller',
      }),
    ),
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
      host: text('0.0.0.0', 'the address to listen on (HOST)'),
      port: int(4000, 0, 65_535, 'the port (PORT); 0 picks a free one'),
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
      headersTimeoutMs: int(
        10_000,
        1,
        undefined,
        'a client must send its request head within this (slowloris)',
      ),
      // Above common load balancers' 60 s idle timeout, so the balancer closes first (no races).
      keepAliveTimeoutMs: int(72_000, 1, undefined, 'idle keep-alive connections close after this'),
      maxConnections: int(10_000, 1, undefined, 'open connections in all; more are refused'),
      // One client's idle keep-alive connections must not take every slot.
      maxConnectionsPerClient: int(256, 0, undefined, 'open connections per client address (0 = no cap)'),
      // A healthy loop answers in under a few ms; a full second of delay means we are queueing.
      maxEventLoopDelayMs: int(
        1_000,
        0,
        undefined,
        'load shedding: past this event-loop delay, 503 with Retry-After (0 = off)',
      ),
      trustedProxies: list(Type.String({ minLength: 1 }), {
        default: [],
        description: 'peers (IPs, CIDRs) whose X-Forwarded-For names the client',
      }),
      // Node's default; a browser's request head is a few KiB, tokens included.
      maxHeaderBytes: int(16_384, 1_024, undefined, 'request head size (431 beyond)'),
      maxHeadersCount: int(100, 10, undefined, 'headers per request'),
      cors: section({
        // Exact origins ("https://app.example.com"), or "*" for any origin (never with credentials).
        origins: list(Type.String({ minLength: 1 }), {
          default: [],
          description: 'exact origins allowed cross-origin, or "*" (never with credentials)',
        }),
        credentials: bool(false, 'allow cookies and authorization cross-origin'),
        maxAgeSeconds: int(600, 0, undefined, 'how long browsers keep a preflight answer'),
      }),
      // Production hides the schema and the IDE unless the config asks for them (validate.ts).
      introspection: opt(Type.Boolean({ description: 'schema introspection; default false in production' })),
      sandbox: opt(
        Type.Boolean({ description: 'the GraphQL IDE at GET /graphql; default false in production' }),
      ),
      sandboxIde: oneOf(
        ['graphiql', 'apollo'] as const,
        'graphiql',
        'graphiql (self-hosted) or apollo (its CDN)',
      ),
      sandboxDefaults: section({
        query: opt(Type.String({ description: 'the IDE editor opens with this operation' })),
        headers: opt(
          Type.Record(Type.String(), Type.String(), {
            propertyNames: headerName,
            description: 'and these request headers',
          }),
        ),
      }),
      workers: Type.Union([Type.Integer({ minimum: 1, maximum: maxWorkers }), Type.Literal('auto')], {
        default: 1,
        unionHint: 'a whole number of processes (1 to 256) or "auto"',
        description: 'processes on one port; auto: the CPUs this process may use (--workers overrides)',
      }),
      watchConfig: bool(false, 'reload on a change to the config file or clients.dir, as on SIGHUP'),
    }),
    upstreams: Type.Record(Type.String(), upstream, {
      default: {},
      propertyNames: { pattern: '^[a-z][a-z0-9-]*$' },
      keyHint: 'use lowercase letters, digits and dashes, starting with a letter',
      description: 'the services by name; users, orders, notifications, products are required',
    }),
    routes: list(route, { default: [], description: 'REST paths proxied to a service' }),
    subscriptions: section({
      maxPerConnection: int(10, 1, undefined, 'subscriptions per WebSocket connection'),
      maxPerUser: int(20, 1, undefined, 'subscriptions per user on this instance'),
      maxConnections: int(10_000, 1, undefined, 'WebSocket and SSE connections per instance'),
      keepAliveMs: int(12_000, 1_000, undefined, 'WebSocket ping interval'),
      maxQueuedEvents: int(
        100,
        1,
        undefined,
        'a consumer further behind gets an error and its subscription ends',
      ),
      connectionInitTimeoutMs: int(
        5_000,
        100,
        undefined,
        'connection_init must arrive within this (else 4408)',
      ),
      maxMessageBytes: int(65_536, 1_024, undefined, 'larger WebSocket messages close the socket (1009)'),
    }),
    auth: section(
      {
        jwt: section({
          secret: opt(text(undefined, 'HS256 shared secret (JWT_SECRET)')),
          // Env variables often carry a PEM on one line with literal "\n" (validate.ts restores them).
          publicKey: opt(text(undefined, 'PEM public key: RS256, ES256, EdDSA (JWT_PUBLIC_KEY)')),
          jwksUrl: opt(
            Type.String({ url: 'http-with-query', description: 'a JWKS to fetch keys from (JWT_JWKS_URL)' }),
          ),
          algorithms: list(oneOf(jwtAlgorithms), {
            minItems: 1,
            default: ['HS256', 'RS256', 'ES256', 'EdDSA'],
            description: 'accepted; narrowed to what the key material can verify',
          }),
          issuer: opt(text(undefined, 'required `iss` when set (JWT_ISSUER)')),
          audience: opt(text(undefined, 'required `aud` when set (JWT_AUDIENCE)')),
          clockToleranceSeconds: int(5, 0, undefined, 'leeway for exp and nbf'),
        }),
        apiKeys: list(
          Type.Object(
            {
              // Short keys can be guessed; 16 characters is the least we accept.
              key: Type.String({ minLength: 16, description: 'sent as x-api-key; at least 16 characters' }),
              client: Type.String({
                pattern: clientNamePattern.source,
                patternHint: 'be 1 to 64 letters, digits, dots, dashes or underscores',
                description: 'the client application (its schema variant, its logs and metrics)',
              }),
              tier: Type.String({ minLength: 1, description: 'a key of rateLimits.tiers' }),
            },
            { additionalProperties: false },
          ),
          { default: [], description: 'API keys: each names a client and its tier' },
        ),
      },
      { secret: true },
    ),
    rateLimits: section({
      // No static default: redis when redis.url (REDIS_URL) is set, else memory (validate.ts).
      store: opt(
        oneOf(
          ['memory', 'redis'] as const,
          undefined,
          'where limits are counted; default redis when redis.url is set, else memory',
        ),
      ),
      failOpen: bool(true, 'Redis down: count in memory and log (true), or answer 503 (false)'),
      tiers: Type.Record(
        Type.String(),
        Type.Object(
          {
            requests: int(undefined, 1, undefined, 'per window'),
            windowSeconds: int(60, 1),
            dailyRequests: int(0, 0, undefined, 'per UTC day (0 = no daily quota)'),
          },
          { additionalProperties: false },
        ),
        {
          default: defaultTiers,
          description: 'quotas per API key, else per user, else per IP (tier anonymous)',
        },
      ),
    }),
    // The URL may carry a password.
    redis: section(
      {
        url: opt(
          Type.String({
            url: 'redis',
            description: 'shared state of several instances: limits, APQ, caches (REDIS_URL)',
          }),
        ),
      },
      { secret: true },
    ),
    limits: section({
      maxDepth: int(12, 1, undefined, 'selection depth (QUERY_TOO_COMPLEX beyond)'),
      maxAliases: int(30, 1),
      maxRootFields: int(20, 1),
      maxCost: int(5000, 1, undefined, 'the cost model of docs/protection.md'),
      maxOperationsPerBatch: int(10, 1, undefined, 'operations in one batched POST'),
      // The dashboard query is ~100 tokens and a full introspection query ~300.
      maxTokens: int(5_000, 100, undefined, 'the parser stops reading beyond this'),
      maxDirectivesPerField: int(5, 1),
    }),
    cache: section({
      // On by default: it only reuses what the services themselves declare reusable.
      upstream: bool(true, 'the upstream HTTP cache (GET answers by URL)'),
      maxEntries: int(10_000, 1, undefined, 'URLs the HTTP cache keeps'),
      upstreamMaxBytes: int(
        32 * 1024 * 1024,
        1024,
        undefined,
        'bound of the in-memory HTTP and stale caches',
      ),
      entities: bool(true, 'the entity cache: records of batch look-ups, one by one'),
      entityMaxBytes: int(64 * 1024 * 1024, 1024, undefined, 'bound of the in-memory entity cache'),
      // Whole answers, by the schema's @cacheControl hints and the services' headers.
      responses: bool(true, 'the response cache (whole GraphQL answers)'),
      responseMaxBytes: int(32 * 1024 * 1024, 1024, undefined, 'bound of the in-memory response cache'),
    }),
    clients: section({
      dir: text(
        'schema/clients',
        'one folder per client with its schema extension (from the working directory)',
      ),
    }),
    persistedQueries: section({
      apq: bool(true, 'automatic persisted queries'),
      // A day: a client re-registers after a miss at the cost of one round trip.
      ttlSeconds: int(86_400, 1, undefined, 'how long a registered query is kept'),
      // Texts can be as long as the body limit: the memory store is bounded in bytes, not entries.
      maxCacheBytes: int(16 * 1024 * 1024, 1024, undefined, 'bound of the in-memory APQ store'),
    }),
    trustedDocuments: section({
      dir: text('schema/trusted', 'per-client manifests of trusted operations'),
      // Production deployments should say `enforce`: then only the clients' own operations run.
      mode: oneOf(['off', 'allow', 'enforce'] as const, 'off', "enforce: only the manifests' operations run"),
    }),
    log: section({
      level: oneOf(
        ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
        'info',
        'LOG_LEVEL',
      ),
    }),
    tracing: section({
      // Off by default: spans cost CPU on every request and need a collector to go to.
      enabled: bool(false, 'OpenTelemetry spans over OTLP/HTTP'),
      otlpEndpoint: opt(
        Type.String({ url: 'http', description: 'OTLP/HTTP traces URL (default localhost:4318)' }),
      ),
      serviceName: text('switchboard', "the spans' service.name"),
      sampleRatio: Type.Number({
        default: 1,
        minimum: 0,
        maximum: 1,
        description: 'share of new traces recorded',
      }),
    }),
    production: bool(false, 'production mode (NODE_ENV=production sets it)'),
  },
  { additionalProperties: false },
);

/** The configuration as the schema checks it; validate.ts fills in what depends on other keys. */
export type SchemaConfig = Static<typeof gatewaySchema>;
