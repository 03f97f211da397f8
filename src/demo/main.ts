// `npm start`: the demo services and the gateway in front of them, in one process.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { loadConfig } from '../config/load.js';
import { createGateway } from '../gateway.js';
import { startDemoServices } from './services.js';

const env = process.env;
const latencyMs = Number(env.DEMO_LATENCY_MS ?? 0);
if (!Number.isInteger(latencyMs) || latencyMs < 0) {
  process.stderr.write('switchboard demo: DEMO_LATENCY_MS must be a whole number of milliseconds\n');
  process.exit(2);
}

// The demo services sit where upstreams.openapi.yaml says (4001…4006) unless DEMO_PORTS=random.
const fixedPorts = env.DEMO_PORTS !== 'random';
const services = await startDemoServices({
  latencyMs,
  ports: fixedPorts ? { users: 4001, orders: 4002, notifications: 4003, products: [4004, 4005, 4006] } : {},
}).catch((error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? ' (a port 4001-4006 is taken: run with DEMO_PORTS=random)' : '';
  process.stderr.write(`switchboard demo: could not start the demo services: ${error.message}${hint}\n`);
  process.exit(1);
});

// A fresh secret each run unless one is given: a demo token must never work against anything else.
const secret = env.JWT_SECRET ?? randomBytes(32).toString('base64url');
const { config, warnings } = loadConfig({
  file: env.SWITCHBOARD_CONFIG,
  env: {
    ...env,
    JWT_SECRET: secret,
    USERS_URL: services.urls.users,
    ORDERS_URL: services.urls.orders,
    NOTIFICATIONS_URL: services.urls.notifications,
    PRODUCTS_URL: services.urls.products.join(','),
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
  },
});
for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);

const gateway = await createGateway(config);
const address = await gateway.listen().catch(async (error: NodeJS.ErrnoException) => {
  process.stderr.write(
    `switchboard demo: could not listen on port ${config.server.port}: ${error.message}\n`,
  );
  await services.close();
  process.exit(1);
});
const url = `${address.replace('0.0.0.0', '127.0.0.1')}/graphql`;

async function tokenFor(sub: string, role: 'USER' | 'ADMIN'): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(secret));
}
const u1 = await tokenFor('u1', 'ADMIN');
const u2 = await tokenFor('u2', 'USER');
const query =
  '{ dashboard { user { name email } recentOrders(limit: 3) { id status total { formatted } items { quantity product { name price { formatted } } } } notifications(limit: 5) { kind message read } unreadCount } }';

process.stdout.write(`
Switchboard demo is running.

  GraphQL endpoint and sandbox: ${url}
  Demo services: users ${services.urls.users}, orders ${services.urls.orders},
                 notifications ${services.urls.notifications}, products ${services.urls.products.join(' ')}
  Upstream latency: ${latencyMs} ms (set DEMO_LATENCY_MS to change)

Demo token for u1 (ADMIN), valid 24 h:
  ${u1}
Demo token for u2 (USER):
  ${u2}

Example dashboard query:
  curl -s ${url} -H 'content-type: application/json' \\
    -H 'authorization: Bearer ${u1}' \\
    -d '${JSON.stringify({ query })}'

Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  await services.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
