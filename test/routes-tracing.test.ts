// A proxied request is traced like a GraphQL one: a server span for the route, continuing the
// caller's trace, and a client span per attempt whose id is the traceparent the service receives.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { type DemoServices, startDemoServices } from '../src/demo/services.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { rawRequest, waitFor } from './helpers/http.js';
import { gatewayEnv } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const callerSpanId = '00f067aa0ba902b7';

let services: DemoServices;
let gateway: Gateway;
let url: string;
let config: TempConfig;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  services = await startDemoServices({ productsCacheControl: 'no-store' });
  config = await writeTempConfig(`
tracing: { enabled: true }
routes:
  - { path: /api/products, upstream: products, rewrite: /products }
`);
  const { config: loaded } = loadConfig({ file: config.file, env: gatewayEnv(services) });
  gateway = await createGateway(loaded, { logger: createLogger('silent'), tracingExporter: exporter });
  url = await gateway.listen();
});

afterAll(async () => {
  await gateway?.close();
  await services?.close();
  await config?.remove();
});

it('a route request has its server span, in the caller trace, and the service gets the attempt span as parent', async () => {
  const answer = await rawRequest(url, {
    path: '/api/products?ids=p1',
    headers: { traceparent: `00-${callerTraceId}-${callerSpanId}-01` },
  });
  expect(answer.status).toBe(200);
  // The server span ends in onResponse, just after the answer left.
  await waitFor(() => exporter.getFinishedSpans().some((s) => s.kind === SpanKind.SERVER), 'the server span');
  const spans = exporter.getFinishedSpans();
  const server = spans.find((span) => span.kind === SpanKind.SERVER);
  const client = spans.find((span) => span.kind === SpanKind.CLIENT);
  expect(server?.name).toBe('GET /api/products');
  expect(server?.attributes).toMatchObject({
    'http.route': '/api/products',
    'http.response.status_code': 200,
  });
  expect(server?.spanContext().traceId).toBe(callerTraceId);
  expect(server?.parentSpanContext?.spanId).toBe(callerSpanId);
  expect(server?.status.code).not.toBe(SpanStatusCode.ERROR);
  expect(client?.name).toBe('GET /products');
  expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
  const [sent] = services.requests('products');
  expect(sent?.headers.traceparent).toBe(`00-${callerTraceId}-${client?.spanContext().spanId}-01`);
});
