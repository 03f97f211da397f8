import type { SchemaConfig } from './schema.js';

// The configuration's types, all derived from the one schema (schema.ts), named for the code
// that reads them. validate.ts fills in what the schema leaves to other keys (marked below), so
// the loaded config has every key the rest of the code reads.

type Server = SchemaConfig['server'];

/** The validated configuration, every default filled in. See docs/configuration.md. */
export interface GatewayConfig extends Omit<SchemaConfig, 'server' | 'rateLimits'> {
  server: ServerConfig;
  rateLimits: RateLimitsConfig;
}

export interface ServerConfig extends Omit<Server, 'introspection' | 'sandbox'> {
  /** Default false in production, else true. */
  introspection: boolean;
  /** The IDE at GET /graphql; default false in production, else true. */
  sandbox: boolean;
}

export type UpstreamConfig = SchemaConfig['upstreams'][string];
export type BreakerConfig = UpstreamConfig['breaker'];
export type HeaderTransform = NonNullable<UpstreamConfig['requestHeaders']>;
export type RouteConfig = SchemaConfig['routes'][number];
export type SubscriptionsConfig = SchemaConfig['subscriptions'];
export type AuthConfig = SchemaConfig['auth'];
export type JwtConfig = AuthConfig['jwt'];
export type ApiKeyConfig = AuthConfig['apiKeys'][number];
export type TierConfig = SchemaConfig['rateLimits']['tiers'][string];
export type LimitsConfig = SchemaConfig['limits'];
export type PersistedQueriesConfig = SchemaConfig['persistedQueries'];
export type TrustedDocumentsConfig = SchemaConfig['trustedDocuments'];
export type TracingConfig = SchemaConfig['tracing'];

export interface RateLimitsConfig extends Omit<SchemaConfig['rateLimits'], 'store'> {
  /** redis when redis.url is set, else memory, unless given. */
  store: 'memory' | 'redis';
  /** Whether `store` was given (several processes without Redis need `memory` said explicitly). */
  storeExplicit: boolean;
}

/** The four services the base schema reads from. */
export const requiredServices = ['users', 'orders', 'notifications', 'products'] as const;
