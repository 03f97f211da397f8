// Connections on a bad day: a drain that resets nothing it has received, and a caller that
// leaves mid-request still ending as a request (499, logged, counted) with its upstream calls cut.
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, openConnection, scrapeMetrics, waitFor } from './helpers/http.js';
import { type Stack, startStack, tokenFor } from './helpers/stack.js';
import { type StubService, startStubService } from './helpers/stub-service.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((close) => close()));
});

function refused(baseUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

describe('the drain', () => {
  it('answers a request sent on a keep-alive connection after the signal, with connection: close', async () => {
    const stack = await startStack();
    cleanup.push(() => stack.services.close());
    stack.services.users.setLatencyMs(1000);
    const busy = await openConnection(stack.url);
    const idle = await openConnection(stack.url);
    cleanup.push(async () => {
      busy.destroy();
      idle.destroy();
    });
    // `idle` finishes a request, then sits idle: the connection a client reuses for its next one.
    idle.write('GET /health HTTP/1.1\r\nhost: gateway\r\n\r\n');
    expect((await idle.responses(1))[0]!.status).toBe(200);
    const body = JSON.stringify({ query: '{ me { id } }' });
    busy.write(
      `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\nauthorization: Bearer ${await tokenFor('u3')}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await waitFor(() => stack.services.requests('users').length === 1, 'the users call in flight');

    const closing = stack.gateway.close();
    await sleep(20);
    // Sent after the drain began, on a connection the gateway holds open: it is answered.
    idle.write('GET /health HTTP/1.1\r\nhost: gateway\r\n\r\n');
    const [, late] = await idle.responses(2);
    expect(late!.status).toBe(200);
    expect(late!.headers.connection).toBe('close');
    expect(await refused(stack.url)).toBe(true);
    const [carried] = await busy.responses(1);
    expect(carried!.status).toBe(200);
    expect(JSON.parse(carried!.body)).toEqual({ data: { me: { id: 'u3' } } });
    expect(carried!.headers.connection).toBe('close');
    await closing;
  });
});

describe('a caller that goes away mid-request', () => {
  it('ends as a request (499, one log line, the gauge back) and its upstream call is aborted', async () => {
    let upstreamClosed = 0;
    const hanging: StubService = await startStubService((request) => {
      // Never answers: only the gateway giving up can end this call.
      request.on('close', () => {
        upstreamClosed += 1;
      });
    });
    cleanup.push(() => hanging.close());
    const lines: Record<string, unknown>[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const stack: Stack = await startStack({ logStream, env: { USERS_URL: hanging.url } });
    cleanup.push(() => stack.close());
    const before = metricValue(await scrapeMetrics(stack.url), 'switchboard_http_requests_in_flight');

    const caller = await openConnection(stack.url);
    const body = JSON.stringify({ query: '{ me { id } }' });
    caller.write(
      `POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\nx-request-id: gone-1\r\nauthorization: Bearer ${await tokenFor('u4')}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
    await waitFor(() => hanging.requests.some((r) => r.url.startsWith('/users')), 'the users call');
    caller.destroy();

    // Aborted with the caller, long before the service's own 2 s timeout would end it.
    await waitFor(() => upstreamClosed > 0, 'the upstream call to be aborted', 1_000);
    await waitFor(
      () => lines.some((l) => l.reqId === 'gone-1' && l.msg === 'graphql request'),
      'the log line',
      3_000,
    );
    const line = lines.find((l) => l.reqId === 'gone-1' && l.msg === 'graphql request')!;
    expect(line).toMatchObject({ msg: 'graphql request', status: 499 });
    const metrics = await scrapeMetrics(stack.url);
    expect(metricValue(metrics, 'switchboard_http_requests_in_flight')).toBe(before);
    expect(
      metricValue(metrics, 'switchboard_http_requests_total', { route: '/graphql', status: '499' }),
    ).toBe(1);
    // The abandoned call counts against nothing: the breaker stays closed, no replica is out.
    expect(metricValue(metrics, 'switchboard_upstream_breaker_state', { service: 'users' })).toBe(0);
  });
});
