// Server-side limits on real sockets: a client that trickles its headers (slowloris) or idles on
// a keep-alive connection is cut, connections beyond the cap are refused, and a saturated event
// loop sheds GraphQL requests with 503 + Retry-After while probes and scrapes still answer.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  metricValue,
  openConnection,
  type ParsedResponse,
  type RawConnection,
  scrapeMetrics,
} from './helpers/http.js';
import { type Stack, startStack } from './helpers/stack.js';
import { type TempConfig, writeTempConfig } from './helpers/temp-config.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `promise`'s value, or with 'timeout' after `ms`: a bound, never a hang. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface RawSocket {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves once the connection is closed, with the milliseconds since it was opened. */
  closed: Promise<number>;
}

/** A plain TCP connection that writes only what the test tells it to. */
async function rawSocket(baseUrl: string): Promise<RawSocket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  const openedAt = performance.now();
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.on('close', () => resolve(performance.now() - openedAt)),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed };
}

const healthRequest = 'GET /health HTTP/1.1\r\nhost: gateway\r\n\r\n';

const configs: TempConfig[] = [];
async function stackWith(yaml: string): Promise<Stack> {
  const config = await writeTempConfig(yaml);
  configs.push(config);
  return startStack({ configFile: config.file });
}
afterAll(async () => {
  await Promise.all(configs.map((config) => config.remove()));
});

describe('with server.headersTimeoutMs: 500 and keepAliveTimeoutMs: 300', () => {
  const headersTimeoutMs = 500;
  // Node's own default sweep (30 s) would never meet this bound.
  const cutWithinMs = 3_000;
  let stack: Stack;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    stack = await stackWith(`server:\n  headersTimeoutMs: ${headersTimeoutMs}\n  keepAliveTimeoutMs: 300\n`);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await stack?.close();
  });

  async function slowClient(): Promise<RawSocket> {
    const client = await rawSocket(stack.url);
    sockets.push(client.socket);
    return client;
  }

  it('cuts a client that sends part of its request line and then nothing (408, socket closed)', async () => {
    const client = await slowClient();
    client.socket.write('GET /health HT');
    // Meanwhile the gateway serves everyone else.
    const other = await fetch(`${stack.url}/health`);
    expect(other.status).toBe(200);

    const elapsed = await within(client.closed, cutWithinMs);
    expect(elapsed, 'the slow client is still connected').not.toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(headersTimeoutMs - 100); // cut by the timeout, not at once
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('cuts a slowloris client that keeps trickling header lines: trickling does not extend the deadline', async () => {
    const client = await slowClient();
    client.socket.write('GET /health HTTP/1.1\r\nhost: gateway\r\n');
    let lines = 0;
    const trickle = setInterval(() => {
      if (!client.socket.destroyed) client.socket.write(`x-slow-${lines++}: a\r\n`);
    }, 100);
    try {
      const elapsed = await within(client.closed, cutWithinMs);
      expect(elapsed, 'the trickling client is still connected').not.toBe('timeout');
      expect(lines).toBeGreaterThan(2); // it did keep sending while it waited
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  it('cuts a client that connects and never sends a byte', async () => {
    const client = await slowClient();
    const elapsed = await within(client.closed, cutWithinMs);
    expect(elapsed, 'the silent client is still connected').not.toBe('timeout');
  });

  it('closes a keep-alive connection left idle after its answer', async () => {
    const connection = await openConnection(stack.url);
    try {
      connection.write(healthRequest);
      const [answer] = await connection.responses(1);
      expect(answer!.status).toBe(200);
      expect(await within(connection.closed, cutWithinMs)).not.toBe('timeout');
    } finally {
      connection.destroy();
    }
  });
});

describe('with server.maxConnections: 5', () => {
  let stack: Stack;
  const held: RawConnection[] = [];
  beforeAll(async () => {
    stack = await stackWith('server:\n  maxConnections: 5\n');
  });
  afterAll(async () => {
    for (const connection of held) connection.destroy();
    await stack?.close();
  });

  /** Sends GET /health on the connection; resolves with its answer, or undefined if it closes first. */
  async function health(connection: RawConnection, nth: number): Promise<ParsedResponse | undefined> {
    connection.write(healthRequest);
    return connection.responses(nth).then(
      (answers) => answers[nth - 1],
      () => undefined,
    );
  }

  it('refuses a 6th concurrent connection while 5 are held, and takes new ones once one closes', async () => {
    for (let index = 0; index < 5; index++) {
      const connection = await openConnection(stack.url);
      held.push(connection);
      expect((await health(connection, 1))?.status).toBe(200);
    }

    const sixth = await rawSocket(stack.url);
    sixth.socket.write(healthRequest);
    const closed = await within(sixth.closed, 3_000);
    expect(closed, 'the 6th connection was kept open').not.toBe('timeout');
    expect(sixth.received()).toBe('');

    // The 5 held connections are unaffected and still keep-alive.
    for (const connection of held) expect((await health(connection, 2))?.status).toBe(200);

    // The cap is on concurrent connections: once one closes, a new one is served.
    held.shift()!.destroy();
    let served = false;
    for (let attempt = 0; attempt < 50 && !served; attempt++) {
      const connection = await openConnection(stack.url);
      const answer = await within(health(connection, 1), 1_000);
      served = answer !== 'timeout' && answer?.status === 200;
      if (served) held.push(connection);
      else {
        connection.destroy();
        await sleep(20);
      }
    }
    expect(served, 'a new connection was served after one of the 5 closed').toBe(true);
  });
});

describe('load shedding with server.maxEventLoopDelayMs: 50', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await stackWith('server:\n  maxEventLoopDelayMs: 50\n');
  });
  afterAll(async () => stack?.close());

  const productsQuery = JSON.stringify({ query: '{ products(ids: ["p1"]) { id } }' });
  const graphqlRequest =
    'POST /graphql HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n' +
    `x-request-id: shed-probe\r\ncontent-length: ${Buffer.byteLength(productsQuery)}\r\n\r\n${productsQuery}`;

  /** Busy-waits: the gateway runs in this process, so this is its event loop lagging. */
  function blockEventLoop(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // spinning on purpose
    }
  }

  // under-pressure averages the loop's delay over 1 s sample windows and the gateway arms it two
  // windows after start (src/http/load-shedding.ts): a lag this long fills at least one whole
  // window, whatever the phase, and outlasts the arming.
  const sustainedLagMs = 2_500;

  /** Lags the loop in 120 ms stretches, yielding between them as a loop full of work does. */
  async function lagEventLoop(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      blockEventLoop(120);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Polls until /graphql answers 200 again (start-up work or an earlier block can still count as lag). */
  async function untilServed(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await stack.graphql('{ products(ids: ["p1"]) { id } }');
      if (answer.status === 200) {
        expect(answer.body).toEqual({ data: { products: [{ id: 'p1' }] } });
        return;
      }
      await sleep(50);
    }
    throw new Error('/graphql was still shed after 100 attempts');
  }

  it('answers /graphql 503 SERVICE_UNAVAILABLE with Retry-After while the loop lags; probes and scrapes still 200', async () => {
    await untilServed();
    const shedBefore = metricValue(await scrapeMetrics(stack.url), 'switchboard_shed_requests_total');
    stack.services.clearRecords();

    const connections = await Promise.all([0, 1, 2, 3].map(() => openConnection(stack.url)));
    const [graphql, health, ready, metrics] = connections as [
      RawConnection,
      RawConnection,
      RawConnection,
      RawConnection,
    ];
    let answers: ParsedResponse[];
    try {
      await lagEventLoop(sustainedLagMs);
      // Written to the kernel now, read by the gateway only after one more lagging stretch.
      graphql.write(graphqlRequest);
      health.write(healthRequest);
      ready.write('GET /ready HTTP/1.1\r\nhost: gateway\r\n\r\n');
      metrics.write('GET /metrics HTTP/1.1\r\nhost: gateway\r\n\r\n');
      blockEventLoop(120);
      answers = await Promise.all(connections.map(async (connection) => (await connection.responses(1))[0]!));
    } finally {
      for (const connection of connections) connection.destroy();
    }

    const [shed, ...probes] = answers;
    expect(shed!.status).toBe(503);
    expect(shed!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(shed!.headers['content-type']).toMatch(/^application\/json/);
    expect(shed!.headers['x-request-id']).toBe('shed-probe');
    expect(JSON.parse(shed!.body)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
    // The shed request cost nothing upstream.
    expect(stack.services.requests('products')).toEqual([]);
    // Under the same lag, liveness, readiness and metrics are never shed.
    expect(probes.map((probe) => probe.status)).toEqual([200, 200, 200]);
    const shedAfter = metricValue(await scrapeMetrics(stack.url), 'switchboard_shed_requests_total');
    expect(shedAfter - shedBefore).toBe(1);

    // Once the loop is healthy again, requests are served again.
    await untilServed();
  });
});
