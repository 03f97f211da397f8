/** The validated configuration, every default filled in. See README "Configuration". */
export interface GatewayConfig {
  server: ServerConfig;
  /** users, orders, notifications and products are always present; clients may add services. */
  upstreams: Record<string, UpstreamConfig>;
  auth: AuthConfig;
  rateLimits: RateLimitsConfig;
  redis: { url?: string };
  limits: LimitsConfig;
  clients: { dir: string };
  /** Automatic persisted queries (Apollo's APQ), bounded. */
  persistedQueries: PersistedQueriesConfig;
  /** Per-client manifests of the operations each client may send by id (or at all, in `enforce`). */
  trustedDocuments: TrustedDocumentsConfig;
  /** Upstream HTTP cache: GET answers reused as their Cache-Control allows. */
  cache: { upstream: boolean; maxEntries: number; responses: boolean; responseMaxBytes: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  /** OpenTelemetry tracing; off unless enabled here or by OTEL_EXPORTER_OTLP_ENDPOINT. */
  tracing: TracingConfig;
  /** true when NODE_ENV=production: changes the defaults of introspection and sandbox. */
  production: boolean;
}

export interface ServerConfig {
  host: string;
  port: number;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  /** Time for a client to send a request's headers (slowloris guard). */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Concurrent connections accepted; more are refused by the OS-level server. */
  maxConnections: number;
  /** Event-loop delay above which requests are shed with 503 + Retry-After (0 = never). */
  maxEventLoopDelayMs: number;
  /** Peers whose X-Forwarded-For is believed (IPs or CIDRs); everyone else's client IP is the socket's. */
  trustedProxies: string[];
  /** Largest request head (request line + headers) in bytes; larger gets 431. */
  maxHeaderBytes: number;
  /** Most headers in one request; the rest are dropped by Node. */
  maxHeadersCount: number;
  /** Cross-origin access: none unless origins are listed. */
  cors: { origins: string[]; credentials: boolean; maxAgeSeconds: number };
  introspection: boolean;
  sandbox: boolean;
}

export interface TracingConfig {
  enabled: boolean;
  /** OTLP/HTTP traces URL (e.g. http://collector:4318/v1/traces); the exporter's default when absent. */
  otlpEndpoint?: string;
  /** The `service.name` resource attribute of every span. */
  serviceName: string;
  /** Share of new traces recorded, 0 to 1; a caller's sampled flag is followed as it is. */
  sampleRatio: number;
}

export interface PersistedQueriesConfig {
  /** A client may register a query's SHA-256 once, then send the hash alone. */
  apq: boolean;
  /** How long a registered query is kept (memory or Redis). */
  ttlSeconds: number;
  /** Size bound of the in-memory store (UTF-8 bytes of hashes and texts); Redis, when set, is used instead. */
  maxCacheBytes: number;
}

export interface TrustedDocumentsConfig {
  /** Holds one manifest per client: `<client>.json`. */
  dir: string;
  /** `off`: manifests unused; `allow`: their documents may be sent by id; `enforce`: only they run. */
  mode: 'off' | 'allow' | 'enforce';
}

export interface BreakerConfig {
  errorThresholdPercent: number;
  volumeThreshold: number;
  rollingWindowMs: number;
  resetTimeoutMs: number;
}

export interface UpstreamConfig {
  /** Base URLs (replicas), load-balanced round-robin. At least one. */
  urls: string[];
  /** Per attempt. */
  timeoutMs: number;
  /** Keep-alive connections per URL. */
  maxConnections: number;
  /** Extra attempts for idempotent GETs. */
  retries: number;
  breaker: BreakerConfig;
  /** Largest response body accepted, in bytes; larger answers are UPSTREAM_ERROR. */
  maxResponseBytes: number;
  /** Serve the last good answer this long when a call fails (0 = off). */
  staleIfErrorSeconds: number;
}

export interface JwtConfig {
  secret?: string;
  publicKey?: string;
  jwksUrl?: string;
  algorithms: string[];
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
}

export interface ApiKeyConfig {
  key: string;
  client: string;
  tier: string;
}

export interface AuthConfig {
  jwt: JwtConfig;
  apiKeys: ApiKeyConfig[];
}

export interface TierConfig {
  requests: number;
  windowSeconds: number;
  /** Requests per UTC day (0 = no daily quota), like an AWS usage plan's quota beside its rate. */
  dailyRequests: number;
}

export interface RateLimitsConfig {
  store: 'memory' | 'redis';
  failOpen: boolean;
  tiers: Record<string, TierConfig>;
}

export interface LimitsConfig {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxCost: number;
  maxOperationsPerBatch: number;
  /** Lexical tokens in one document (the parser stops past this). */
  maxTokens: number;
  /** Directives on a single field. */
  maxDirectivesPerField: number;
}

/** The four services the base schema reads from. */
export const requiredServices = ['users', 'orders', 'notifications', 'products'] as const;
