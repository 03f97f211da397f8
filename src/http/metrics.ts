import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { UpstreamCallEvent } from '../upstream/types.js';

/** The gateway's Prometheus metrics, on a registry of its own (several gateways per process in tests). */
export interface GatewayMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  graphqlRequests: Counter<'operation' | 'status'>;
  upstreamDuration: Histogram<'service' | 'outcome'>;
  /** Records one finished upstream attempt (the upstream client's `onCall`). */
  onUpstreamCall(event: UpstreamCallEvent): void;
  /** A label value for an operation name that keeps the label set bounded. */
  operationLabel(name: string | null | undefined): string;
}

// Operation names come from clients: past this many distinct names, new ones share one label.
const maxOperationNames = 200;
const namePattern = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Creates the registry with process metrics and the gateway's own. */
export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpRequests = new Counter({
    name: 'switchboard_http_requests_total',
    help: 'HTTP requests answered, by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const graphqlRequests = new Counter({
    name: 'switchboard_graphql_requests_total',
    help: 'GraphQL operations answered, by operation name and HTTP status code.',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: 'switchboard_upstream_request_duration_seconds',
    help: 'Duration of upstream HTTP attempts, by service and outcome.',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const seenNames = new Set<string>();
  return {
    registry,
    httpRequests,
    graphqlRequests,
    upstreamDuration,
    onUpstreamCall(event) {
      upstreamDuration.observe({ service: event.service, outcome: event.outcome }, event.durationMs / 1000);
    },
    operationLabel(name) {
      if (!name) return 'anonymous';
      if (!namePattern.test(name)) return 'other';
      if (seenNames.has(name)) return name;
      if (seenNames.size >= maxOperationNames) return 'other';
      seenNames.add(name);
      return name;
    },
  };
}
