// Tracing end to end: real demo services and a real gateway on port 0; spans are caught by an
// in-memory exporter injected through createGateway, and the services record the traceparent
// each upstream request actually carried.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ConfigError, loadConfig } from '../src/config/load.js';
import { type DemoServices, type RecordedRequest, startDemoServices } from '../src/demo/services.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { clearFaults } from './helpers/faults.js';
import { gatewayEnv, tokenFor } from './helpers/stack.js';
import { writeTempConfig } from './helpers/temp-config.js';

const dashboard = `query Dashboard {
  dashboard {
    user { name }
    recentOrders(limit: 2) { id items { quantity product { name } } }
    notifications(limit: 2) { kind message }
    unreadCount
  }
}`;

const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

interface TracedGateway {
  gateway: Gateway;
  url: string;
  exporter: InMemorySpanExporter;
  /** POSTs the dashboard as `u1`; resolves with the HTTP status. */
  dashboard(headers?: Record<string, string>): Promise<number>;
}

function envFor(services: DemoServices, extra: Record<string, string> = {}): Record<string, string> {
  return { ...gatewayEnv(services), ...extra };
}

async function startGateway(services: DemoServices, env: Record<string, string>): Promise<TracedGateway> {
  const exporter = new InMemorySpanExporter();
  const { config } = loadConfig({ env: envFor(services, env) });
  const gateway = await createGateway(config, { logger: createLogger('silent'), tracingExporter: exporter });
  const url = await gateway.listen();
  const token = await tokenFor('u1');
  return {
    gateway,
    url,
    exporter,
    async dashboard(headers = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
        body: JSON.stringify({ query: dashboard }),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

/** The request span ends in onResponse, just after the answer left: wait for it. */
async function finishedSpans(exporter: InMemorySpanExporter): Promise<ReadableSpan[]> {
  const deadline = performance.now() + 2_000;
  while (!exporter.getFinishedSpans().some((span) => span.kind === SpanKind.SERVER)) {
    if (performance.now() > deadline) throw new Error('no request span was exported');
    await sleep(5);
  }
  return exporter.getFinishedSpans();
}

/** Every upstream request the services received (health probes left out), in arrival order. */
function upstreamRequests(services: DemoServices): RecordedRequest[] {
  return services
    .servers()
    .flatMap((server) => server.requests)
    .filter((request) => request.path !== '/health')
    .sort((a, b) => a.receivedAt - b.receivedAt);
}

function traceparentOf(request: RecordedRequest): { traceId: string; parentId: string; flags: string } {
  const match = traceparentPattern.exec(String(request.headers.traceparent));
  if (!match)
    throw new Error(`${request.path} arrived without a valid traceparent: ${request.headers.traceparent}`);
  return { traceId: match[1]!, parentId: match[2]!, flags: match[3]! };
}

const byKind = (spans: ReadableSpan[], kind: SpanKind) => spans.filter((span) => span.kind === kind);
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('tracing on', () => {
  let services: DemoServices;
  let traced: TracedGateway;

  beforeAll(async () => {
    services = await startDemoServices({ productsCacheControl: 'no-store' });
    // The standard variable turns tracing on; the injected exporter stands in for OTLP.
    traced = await startGateway(services, {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_SERVICE_NAME: 'switchboard-test',
    });
  });
  afterEach(async () => {
    await clearFaults(services);
    services.clearRecords();
    traced.exporter.reset();
  });
  afterAll(async () => {
    await traced?.gateway.close();
    await services?.close();
  });

  it('records request, loader and upstream spans of one trace; each service gets its client span as parent', async () => {
    expect(await traced.dashboard()).toBe(200);
    const spans = await finishedSpans(traced.exporter);

    const [request, ...otherServers] = byKind(spans, SpanKind.SERVER);
    expect(otherServers).toEqual([]);
    expect(request!.name).toBe('graphql Dashboard');
    expect(request!.parentSpanContext).toBeUndefined();
    expect(request!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'graphql.operation.name': 'Dashboard',
      'graphql.operation.type': 'query',
      'switchboard.upstream_calls': 5,
    });
    expect(request!.status.code).toBe(SpanStatusCode.UNSET);
    expect(request!.resource.attributes['service.name']).toBe('switchboard-test');
    const traceId = request!.spanContext().traceId;
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

    // One span per loader batch, not per field: notifications and unreadCount share one batch.
    const loads = byKind(spans, SpanKind.INTERNAL);
    expect(loads.map((span) => span.name).sort()).toEqual([
      'load notifications',
      'load orders',
      'load products',
      'load users',
    ]);
    for (const load of loads) expect(load.parentSpanContext?.spanId).toBe(idOf(request!));
    const loadOf = (service: string) => loads.find((span) => span.name === `load ${service}`)!;
    expect(loadOf('notifications').attributes['switchboard.batch.keys']).toBe(2);

    // One client span per upstream request, under its service's loader span.
    const clients = byKind(spans, SpanKind.CLIENT);
    const received = upstreamRequests(services);
    expect(received).toHaveLength(5);
    expect(clients).toHaveLength(received.length);
    for (const client of clients) {
      const service = client.attributes['switchboard.service'] as string;
      expect(client.parentSpanContext?.spanId).toBe(idOf(loadOf(service)));
      expect(client.name).toBe(`GET /${service}`);
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'switchboard.outcome': 'ok',
      });
      expect(client.attributes['switchboard.replica']).toEqual(expect.any(Number));
      expect(client.attributes['http.request.resend_count']).toBeUndefined();
    }
    const products = clients.find((span) => span.attributes['switchboard.service'] === 'products')!;
    const productIds = services.requests('products')[0]!.query.ids!.split(',');
    expect(products.attributes['switchboard.batch_size']).toBe(productIds.length);

    // Every upstream request carried the trace id and, as parent, the id of its own client span.
    const parents = received.map((r) => {
      const { traceId: sent, parentId, flags } = traceparentOf(r);
      expect(sent).toBe(traceId);
      expect(flags).toBe('01');
      const client = clients.find((span) => idOf(span) === parentId);
      expect(client, `${r.path} names a parent span that is not a client span`).toBeDefined();
      expect(client!.attributes['url.path']).toBe(r.path);
      return parentId;
    });
    expect(new Set(parents).size).toBe(clients.length);
    // The replica attribute names the replica that actually answered.
    services.products.forEach((replica, index) => {
      for (const r of replica.requests.filter((each) => each.path !== '/health')) {
        const client = clients.find((span) => idOf(span) === traceparentOf(r).parentId)!;
        expect(client.attributes['switchboard.replica']).toBe(index);
      }
    });
  });

  it("continues the caller's trace and sends services the gateway's own spans as parents", async () => {
    const caller = `00-${callerTraceId}-${callerSpanId}-01`;
    expect(await traced.dashboard({ traceparent: caller })).toBe(200);
    const spans = await finishedSpans(traced.exporter);
    const request = byKind(spans, SpanKind.SERVER)[0]!;
    expect(request.spanContext().traceId).toBe(callerTraceId);
    expect(request.parentSpanContext).toMatchObject({
      traceId: callerTraceId,
      spanId: callerSpanId,
      isRemote: true,
    });
    expect(new Set(spans.map((span) => span.spanContext().traceId))).toEqual(new Set([callerTraceId]));
    const clientIds = new Set(byKind(spans, SpanKind.CLIENT).map(idOf));
    for (const r of upstreamRequests(services)) {
      const { traceId, parentId } = traceparentOf(r);
      expect(traceId).toBe(callerTraceId);
      expect(clientIds.has(parentId)).toBe(true);
    }
  });

  it('records nothing for a caller that did not sample, but keeps the trace going upstream', async () => {
    expect(await traced.dashboard({ traceparent: `00-${callerTraceId}-${callerSpanId}-00` })).toBe(200);
    await sleep(50);
    expect(traced.exporter.getFinishedSpans()).toEqual([]);
    for (const r of upstreamRequests(services)) {
      const { traceId, parentId, flags } = traceparentOf(r);
      expect([traceId, flags]).toEqual([callerTraceId, '00']);
      expect(parentId).not.toBe(callerSpanId);
    }
  });

  it('starts a new trace when the caller sends a malformed traceparent, and never forwards it', async () => {
    const junk = `00-${'0'.repeat(32)}-${callerSpanId}-01`;
    expect(await traced.dashboard({ traceparent: junk })).toBe(200);
    const spans = await finishedSpans(traced.exporter);
    const request = byKind(spans, SpanKind.SERVER)[0]!;
    expect(request.parentSpanContext).toBeUndefined();
    for (const r of upstreamRequests(services)) {
      expect(r.headers.traceparent).not.toBe(junk);
      expect(traceparentOf(r).traceId).toBe(request.spanContext().traceId);
    }
  });

  it('marks failed attempts, their loader and the request as errors; a retry says so', async () => {
    services.setFault('products', { kind: 'status', status: 503 });
    expect(await traced.dashboard()).toBe(200);
    const spans = await finishedSpans(traced.exporter);
    const attempts = byKind(spans, SpanKind.CLIENT)
      .filter((span) => span.attributes['switchboard.service'] === 'products')
      .sort(
        (a, b) =>
          Number(a.attributes['http.request.resend_count'] ?? 0) -
          Number(b.attributes['http.request.resend_count'] ?? 0),
      );
    expect(attempts.map((span) => span.attributes['http.request.resend_count'])).toEqual([undefined, 1]);
    for (const attempt of attempts) {
      expect(attempt.attributes).toMatchObject({
        'http.response.status_code': 503,
        'switchboard.outcome': 'error',
      });
      expect(attempt.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'UPSTREAM_ERROR: products failed with HTTP 503',
      });
    }
    expect(new Set(attempts.map((span) => span.attributes['switchboard.replica'])).size).toBe(2);
    const load = spans.find((span) => span.name === 'load products')!;
    expect(load.status.code).toBe(SpanStatusCode.ERROR);
    const request = byKind(spans, SpanKind.SERVER)[0]!;
    expect(request.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UPSTREAM_ERROR' });
    // Healthy services stay unmarked.
    expect(spans.find((span) => span.name === 'load users')!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('keeps the HTTP name for a request refused before any operation ran', async () => {
    const response = await fetch(`${traced.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ query: dashboard }),
    });
    expect(response.status).toBe(401);
    const [request] = await finishedSpans(traced.exporter);
    expect(request!.name).toBe('POST /graphql');
    expect(request!.attributes['http.response.status_code']).toBe(401);
    expect(upstreamRequests(services)).toEqual([]);
  });
});

describe('tracing off (the default)', () => {
  let services: DemoServices;
  let plain: TracedGateway;

  beforeAll(async () => {
    services = await startDemoServices({ productsCacheControl: 'no-store' });
    // An exporter is handed over, but the config leaves tracing off: it must stay empty.
    plain = await startGateway(services, {});
  });
  afterAll(async () => {
    await plain?.gateway.close();
    await services?.close();
  });

  it("records no span and forwards the caller's traceparent unchanged", async () => {
    const caller = `00-${callerTraceId}-${callerSpanId}-01`;
    expect(await plain.dashboard({ traceparent: caller })).toBe(200);
    await sleep(50);
    expect(plain.exporter.getFinishedSpans()).toEqual([]);
    const received = upstreamRequests(services);
    expect(received).toHaveLength(5);
    for (const r of received) expect(r.headers.traceparent).toBe(caller);
  });
});

describe('OTLP export', () => {
  let collector: Server | undefined;
  let services: DemoServices | undefined;
  afterAll(async () => {
    await services?.close();
    await new Promise((resolve) => collector?.close(resolve));
  });

  it('sends the spans to the configured collector, at the latest when the gateway closes', async () => {
    const received: { path: string; type: string; body: string }[] = [];
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          type: String(request.headers['content-type']),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve));
    const port = (collector.address() as AddressInfo).port;
    services = await startDemoServices({ productsCacheControl: 'no-store' });
    const { config } = loadConfig({
      env: envFor(services, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }),
    });
    const gateway = await createGateway(config, { logger: createLogger('silent') });
    const url = await gateway.listen();
    const caller = `00-${callerTraceId}-${callerSpanId}-01`;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await tokenFor('u1')}`,
        traceparent: caller,
      },
      body: JSON.stringify({ query: dashboard }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await gateway.close();
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]!.path).toBe('/v1/traces');
    const bodies = received.map((r) => r.body).join('\n');
    for (const name of ['graphql Dashboard', 'load products', 'GET /products'])
      expect(bodies).toContain(name);
    expect(bodies).toContain(callerTraceId);
  });
});

describe('tracing config', () => {
  const load = (env: Record<string, string>, file?: string) =>
    loadConfig({
      env: {
        USERS_URL: 'http://u',
        ORDERS_URL: 'http://o',
        NOTIFICATIONS_URL: 'http://n',
        PRODUCTS_URL: 'http://p',
        ...env,
      },
      file,
    }).config.tracing;

  it('is off by default and turned on by an OTLP endpoint variable', () => {
    expect(load({})).toEqual({ enabled: false, serviceName: 'switchboard', sampleRatio: 1 });
    expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
      enabled: true,
      otlpEndpoint: 'http://collector:4318/v1/traces',
      serviceName: 'switchboard',
      sampleRatio: 1,
    });
    // The signal-specific variable is the whole URL and wins over the generic one.
    expect(
      load({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/v1/traces',
        OTEL_SERVICE_NAME: 'bff-web',
      }),
    ).toMatchObject({
      enabled: true,
      otlpEndpoint: 'https://traces.example/otlp/v1/traces',
      serviceName: 'bff-web',
    });
  });

  it('takes a ratio from the file and refuses a bad one or a bad endpoint, naming the key', async () => {
    const errorsOf = (env: Record<string, string>, file?: string) => {
      try {
        load(env, file);
        return [];
      } catch (error) {
        return (error as ConfigError).errors;
      }
    };
    const good = await writeTempConfig('tracing: { enabled: true, sampleRatio: 0.25 }\n');
    const bad = await writeTempConfig('tracing: { sampleRatio: 1.5 }\n');
    try {
      expect(load({}, good.file)).toMatchObject({ enabled: true, sampleRatio: 0.25 });
      expect(errorsOf({}, bad.file)).toEqual(['tracing.sampleRatio must be between 0 and 1, received 1.5']);
    } finally {
      await good.remove();
      await bad.remove();
    }
    expect(errorsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' })).toEqual([
      'tracing.otlpEndpoint (from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) must be an absolute http or https URL, received "collector:4318"',
    ]);
  });
});
