// The scenarios: what the upstreams do, how the gateway is configured, which user modes run by
// default. A new scenario is one more entry here (and a ScenarioId); bench/README.md lists them.
import { benchApiKey, benchSecret } from './dashboard.js';
import type { TargetName } from './targets.js';
import type { UserModeId } from './user-modes.js';

export type ScenarioId = 'S1' | 'S2' | 'S3' | 'S4' | 'S5' | 'S6';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Added by the upstream stubs before every answer. */
  latencyMs: number;
  /** The products service's Cache-Control. */
  productsCacheControl: string;
  gateway: {
    logLevel: 'warn' | 'info';
    /** Requests carry an API key on a tier whose quota cannot be reached. */
    apiKey: boolean;
    /** `@rateLimit` on Query.dashboard (bench/rate-limit-preload.ts). */
    rateLimitDirective: boolean;
    /** upstreams.*.staleIfErrorSeconds (the upstream HTTP cache, `cache.upstream`, is on by default). */
    staleIfErrorSeconds: number;
    /** NODE_ENV=production: introspection and sandbox off, as deployed. */
    production: boolean;
  };
  /** S4: a fixed arrival rate at this share of G's S2 throughput; closed loop otherwise. */
  rateShareOfGS2?: number;
  /** The user modes `npm run bench` runs it in (`--modes` overrides). */
  modes: UserModeId[];
  /** Servers it runs when `--targets` is not given (default: all but G2, which S1 adds). */
  defaultTargets?: TargetName[];
  /** S6: the dashboard with recommendations from the gRPC stub (G's upstream, R's own client). */
  recommendations?: boolean;
  /** G's heap check (heap-check.ts) runs after the rounds of this scenario's first mode. */
  heapCheck?: boolean;
}

const engineOnly: Scenario['gateway'] = {
  logLevel: 'warn',
  apiKey: false,
  rateLimitDirective: false,
  staleIfErrorSeconds: 0,
  production: false,
};

export const scenarios: Record<ScenarioId, Scenario> = {
  S1: {
    id: 'S1',
    title: '0 ms upstream, nothing cacheable (CPU-bound: the engine alone)',
    latencyMs: 0,
    productsCacheControl: 'no-store',
    gateway: engineOnly,
    // The gateway's hardest case (a new user and token per request) and its common one.
    modes: ['fresh', 'session'],
    heapCheck: true,
    // G with 2 workers beside the rest: what this 2-core machine serves with every core.
    defaultTargets: ['R', 'N', 'G', 'G2'],
  },
  S2: {
    id: 'S2',
    title: '20 ms upstream, nothing cacheable (latency-bound)',
    latencyMs: 20,
    productsCacheControl: 'no-store',
    gateway: engineOnly,
    modes: ['fresh'],
  },
  S3: {
    id: 'S3',
    title:
      'S1 + an API key on a tier and @rateLimit on Query.dashboard (never reached), LOG_LEVEL=info ' +
      '(a log line per request), metrics (always on)',
    latencyMs: 0,
    productsCacheControl: 'no-store',
    gateway: { ...engineOnly, logLevel: 'info', apiKey: true, rateLimitDirective: true },
    modes: ['fresh'],
  },
  S4: {
    id: 'S4',
    title: "20 ms upstream at a fixed arrival rate of half G's S2 throughput (honest latency)",
    latencyMs: 20,
    productsCacheControl: 'no-store',
    gateway: engineOnly,
    rateShareOfGS2: 0.5,
    modes: ['fresh'],
  },
  S5: {
    id: 'S5',
    title:
      "as deployed: 0 ms upstream, the contract's cache headers (products `public, max-age=60`, so the " +
      'upstream HTTP cache serves them), stale-if-error on, NODE_ENV=production',
    latencyMs: 0,
    productsCacheControl: 'public, max-age=60',
    gateway: { ...engineOnly, staleIfErrorSeconds: 60, production: true },
    // With 100,000 users the products cache still sees each demo user's product set repeat
    // (every copy orders the same products), as a shared catalogue would.
    modes: ['fresh'],
  },
  S6: {
    id: 'S6',
    title:
      'S1 with `recommendations(limit: 3)` on the dashboard: one gRPC ForUsers call to the stub, the ' +
      'recommended products in the same products call (R makes the same RPC with grpc-js)',
    latencyMs: 0,
    productsCacheControl: 'no-store',
    gateway: engineOnly,
    modes: ['fresh'],
    recommendations: true,
    // N has no gRPC client: R and G only.
    defaultTargets: ['R', 'G'],
  },
};

/** Where the upstream services listen (the stubs' or the demo's READY line). */
export interface UpstreamUrls {
  users: string;
  orders: string;
  notifications: string;
  products: string[];
  /** The stubs' gRPC recommendations service (host:port); absent with the demo services. */
  recommendations?: string;
}

// A quota no run can reach: the tier check stays on the path (it always is), it never refuses.
const unreachable = { requests: 1_000_000_000, windowSeconds: 60 };

/** The gateway's config file for a scenario (JSON is YAML). */
export function gatewayConfig(scenario: Scenario, urls: UpstreamUrls, port: number): Record<string, unknown> {
  const upstream = (list: string[]) => ({
    urls: list,
    ...(scenario.gateway.staleIfErrorSeconds > 0
      ? { staleIfErrorSeconds: scenario.gateway.staleIfErrorSeconds }
      : {}),
  });
  return {
    server: { host: '127.0.0.1', port },
    upstreams: {
      users: upstream([urls.users]),
      orders: upstream([urls.orders]),
      notifications: upstream([urls.notifications]),
      products: upstream(urls.products),
      ...(scenario.recommendations && urls.recommendations
        ? { recommendations: { protocol: 'grpc', urls: [urls.recommendations] } }
        : {}),
    },
    auth: {
      jwt: { secret: benchSecret },
      apiKeys: scenario.gateway.apiKey ? [{ key: benchApiKey, client: 'bench', tier: 'bench' }] : [],
    },
    rateLimits: { store: 'memory', tiers: { anonymous: unreachable, bench: unreachable } },
    log: { level: scenario.gateway.logLevel },
  };
}
