import { clientNamePattern } from './names.js';
import type { IntNode, Invalid, NumberNode, SchemaOf, StringNode } from './schema-nodes.js';
import type { BreakerConfig, GatewayConfig, TierConfig, UpstreamConfig } from './types.js';

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
export const defaultTiers: Readonly<Record<string, TierConfig>> = {
  anonymous: { requests: 300, windowSeconds: 60, dailyRequests: 0 },
  free: { requests: 600, windowSeconds: 60, dailyRequests: 0 },
  pro: { requests: 6000, windowSeconds: 60, dailyRequests: 0 },
};

const int = (defaultValue: number | undefined, min: number, max?: number): IntNode => ({
  kind: 'int',
  default: defaultValue,
  min,
  max,
});

const decimal = (defaultValue: number, min: number, max?: number): NumberNode => ({
  kind: 'number',
  default: defaultValue,
  min,
  max,
});

const text = (defaultValue?: string): StringNode => ({ kind: 'string', default: defaultValue });

/** Accepts absolute URLs with one of `protocols`; returns them without trailing slashes. */
function url(protocols: readonly string[], options: { query: boolean }): (value: string) => string | Invalid {
  const expected = `be an absolute ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`;
  return (value) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return { invalid: expected };
    }
    if (!protocols.includes(parsed.protocol)) return { invalid: expected };
    if (!options.query && (value.includes('?') || value.includes('#'))) {
      return { invalid: `${expected} without query or fragment` };
    }
    if (parsed.search !== '' || parsed.hash !== '') return parsed.href;
    // Upstream paths are appended to the base URL, so "http://x/" + "/users" must not double the slash.
    return parsed.href.replace(/\/+$/, '');
  };
}

const breaker: SchemaOf<BreakerConfig> = {
  kind: 'object',
  fields: {
    errorThresholdPercent: int(50, 1, 100),
    volumeThreshold: int(10, 0),
    rollingWindowMs: int(10_000, 1),
    resetTimeoutMs: int(10_000, 1),
  },
};

const upstream: SchemaOf<UpstreamConfig> = {
  kind: 'object',
  fields: {
    urls: {
      kind: 'list',
      item: { kind: 'string', normalize: url(['http:', 'https:'], { query: false }) },
      minItems: 1,
      required: (path) => {
        const service = path.split('.')[1] ?? '';
        const variable = serviceUrlVariables[service];
        return variable === undefined
          ? `${path} is required`
          : `${path} is required: set it in the config file or the ${variable} environment variable`;
      },
    },
    timeoutMs: int(2000, 1),
    maxConnections: int(64, 1),
    // More than a handful of retries turns one slow service into a retry storm.
    retries: int(1, 0, 5),
    breaker,
    maxResponseBytes: int(5 * 1024 * 1024, 1),
    staleIfErrorSeconds: int(0, 0),
  },
};

/** Every configuration key: its type, default and bounds. Mirrors gateway.example.yaml. */
export const gatewaySchema: SchemaOf<GatewayConfig> = {
  kind: 'object',
  fields: {
    server: {
      kind: 'object',
      fields: {
        host: text('0.0.0.0'),
        port: int(4000, 0, 65_535),
        // Below 1 KiB even an ordinary query with variables would be refused.
        bodyLimitBytes: int(1024 * 1024, 1024),
        requestTimeoutMs: int(10_000, 1),
        shutdownGraceMs: int(10_000, 0),
        // Slowloris: a client that trickles its headers is cut after this.
        headersTimeoutMs: int(10_000, 1),
        // Above common load balancers' 60 s idle timeout, so the balancer closes first (no races).
        keepAliveTimeoutMs: int(72_000, 1),
        maxConnections: int(10_000, 1),
        // A healthy loop answers in under a few ms; a full second of delay means we are queueing.
        maxEventLoopDelayMs: int(1_000, 0),
        trustedProxies: { kind: 'list', item: text(), default: [] },
        // Node's default; a browser's request head is a few KiB, tokens included.
        maxHeaderBytes: int(16_384, 1_024),
        maxHeadersCount: int(100, 10),
        cors: {
          kind: 'object',
          fields: {
            // Exact origins ("https://app.example.com"), or "*" for any origin (never with credentials).
            origins: { kind: 'list', item: text(), default: [] },
            credentials: { kind: 'bool', default: false },
            maxAgeSeconds: int(600, 0),
          },
        },
        // Production hides the schema unless the config asks for it explicitly.
        introspection: { kind: 'bool', default: (c) => !c.production },
        sandbox: { kind: 'bool', default: (c) => !c.production },
      },
    },
    upstreams: {
      kind: 'map',
      value: upstream,
      keyPattern: /^[a-z][a-z0-9-]*$/,
      keyHint: 'use lowercase letters, digits and dashes, starting with a letter',
      requiredKeys: Object.keys(serviceUrlVariables),
    },
    auth: {
      kind: 'object',
      secret: true,
      fields: {
        jwt: {
          kind: 'object',
          fields: {
            secret: text(),
            // Env variables often carry a PEM on one line with literal "\n"; a PEM never contains "\n" itself.
            publicKey: { kind: 'string', normalize: (pem) => pem.replaceAll('\\n', '\n') },
            jwksUrl: { kind: 'string', normalize: url(['http:', 'https:'], { query: true }) },
            algorithms: {
              kind: 'list',
              item: { kind: 'string', oneOf: jwtAlgorithms },
              minItems: 1,
              default: ['HS256', 'RS256', 'ES256', 'EdDSA'],
            },
            issuer: text(),
            audience: text(),
            clockToleranceSeconds: int(5, 0),
          },
        },
        apiKeys: {
          kind: 'list',
          default: [],
          skipItemWhenUnset: 'key',
          item: {
            kind: 'object',
            fields: {
              // Short keys can be guessed; 16 characters is the least we accept.
              key: { kind: 'string', minLength: 16, required: true },
              client: {
                kind: 'string',
                required: true,
                pattern: clientNamePattern,
                patternHint: 'be 1 to 64 letters, digits, dots, dashes or underscores',
              },
              tier: { kind: 'string', required: true },
            },
          },
        },
      },
    },
    rateLimits: {
      kind: 'object',
      fields: {
        // No static default: redis when redis.url (REDIS_URL) is set, else memory (validate.ts).
        store: { kind: 'string', oneOf: ['memory', 'redis'] },
        failOpen: { kind: 'bool', default: true },
        tiers: {
          kind: 'map',
          default: defaultTiers,
          value: {
            kind: 'object',
            fields: {
              requests: { ...int(undefined, 1), required: true },
              windowSeconds: int(60, 1),
              dailyRequests: int(0, 0),
            },
          },
        },
      },
    },
    // The URL may carry a password.
    redis: {
      kind: 'object',
      secret: true,
      fields: { url: { kind: 'string', normalize: url(['redis:', 'rediss:'], { query: true }) } },
    },
    limits: {
      kind: 'object',
      fields: {
        maxDepth: int(12, 1),
        maxAliases: int(30, 1),
        maxRootFields: int(20, 1),
        maxCost: int(5000, 1),
        maxOperationsPerBatch: int(10, 1),
        // The dashboard query is ~100 tokens and a full introspection query ~300.
        maxTokens: int(5_000, 100),
        maxDirectivesPerField: int(5, 1),
      },
    },
    cache: {
      kind: 'object',
      fields: {
        // On by default: it only reuses what the services themselves declare reusable.
        upstream: { kind: 'bool', default: true },
        maxEntries: int(10_000, 1),
        // Whole answers, by the schema's @cacheControl hints and the services' headers.
        responses: { kind: 'bool', default: true },
        responseMaxBytes: int(32 * 1024 * 1024, 1024),
      },
    },
    clients: { kind: 'object', fields: { dir: text('schema/clients') } },
    persistedQueries: {
      kind: 'object',
      fields: {
        apq: { kind: 'bool', default: true },
        // A day: a client re-registers after a miss at the cost of one round trip.
        ttlSeconds: int(86_400, 1),
        // Texts can be as long as the body limit: the memory store is bounded in bytes, not entries.
        maxCacheBytes: int(16 * 1024 * 1024, 1024),
      },
    },
    trustedDocuments: {
      kind: 'object',
      fields: {
        dir: text('schema/trusted'),
        // Production deployments should say `enforce`: then only the clients' own operations run.
        mode: { kind: 'string', default: 'off', oneOf: ['off', 'allow', 'enforce'] },
      },
    },
    log: {
      kind: 'object',
      fields: {
        level: {
          kind: 'string',
          default: 'info',
          oneOf: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
        },
      },
    },
    tracing: {
      kind: 'object',
      fields: {
        // Off by default: spans cost CPU on every request and need a collector to go to.
        enabled: { kind: 'bool', default: false },
        otlpEndpoint: { kind: 'string', normalize: url(['http:', 'https:'], { query: false }) },
        serviceName: text('switchboard'),
        sampleRatio: decimal(1, 0, 1),
      },
    },
    production: { kind: 'bool', default: false },
  },
};
