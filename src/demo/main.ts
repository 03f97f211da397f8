// `npm start`: the demo services and the gateway in front of them, in one process, serving the
// three demo clients: web (the base schema), mobile and partner (schema/clients/<client>).
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { loadConfig } from '../config/load.js';
import { createGateway } from '../gateway.js';
import { startRecommendationsService } from './recommendations-service.js';
import { startDemoServices } from './services.js';

const env = process.env;
const latencyMs = Number(env.DEMO_LATENCY_MS ?? 0);
if (!Number.isInteger(latencyMs) || latencyMs < 0) {
  process.stderr.write('switchboard demo: DEMO_LATENCY_MS must be a whole number of milliseconds\n');
  process.exit(2);
}

// The demo services sit where docs/upstreams.openapi.yaml and inventory.openapi.yaml say (4001…4007)
// unless DEMO_PORTS=random.
const fixedPorts = env.DEMO_PORTS !== 'random';
const services = await startDemoServices({
  latencyMs,
  ports: fixedPorts
    ? { users: 4001, orders: 4002, notifications: 4003, products: [4004, 4005, 4006], inventory: 4007 }
    : {},
}).catch((error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? ' (a port 4001-4007 is taken: run with DEMO_PORTS=random)' : '';
  process.stderr.write(`switchboard demo: could not start the demo services: ${error.message}${hint}\n`);
  process.exit(1);
});

// The gRPC recommendations service, beside the REST ones (4010, as in the contract's example).
const recommendations = await startRecommendationsService(fixedPorts ? 4010 : 0).catch((error: Error) => {
  process.stderr.write(`switchboard demo: could not start the recommendations service: ${error.message}\n`);
  process.exit(1);
});

// A fresh secret and fresh API keys each run unless given: demo credentials must never work
// against anything else.
const secret = env.JWT_SECRET ?? randomBytes(32).toString('base64url');
const demoKey = (client: string) => `demo-${client}-${randomBytes(18).toString('base64url')}`;
const apiKeys = {
  web: env.DEMO_WEB_API_KEY || demoKey('web'),
  mobile: env.DEMO_MOBILE_API_KEY || demoKey('mobile'),
  partner: env.DEMO_PARTNER_API_KEY || demoKey('partner'),
};
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
const { config, warnings } = loadConfig({
  file: env.SWITCHBOARD_CONFIG ?? fileURLToPath(new URL('./gateway.demo.yaml', import.meta.url)),
  env: {
    ...env,
    JWT_SECRET: secret,
    USERS_URL: services.urls.users,
    ORDERS_URL: services.urls.orders,
    NOTIFICATIONS_URL: services.urls.notifications,
    PRODUCTS_URL: services.urls.products.join(','),
    INVENTORY_URL: services.urls.inventory,
    RECOMMENDATIONS_URL: recommendations.address,
    DEMO_WEB_API_KEY: apiKeys.web,
    DEMO_MOBILE_API_KEY: apiKeys.mobile,
    DEMO_PARTNER_API_KEY: apiKeys.partner,
    // The IDE's default headers (gateway.demo.yaml, server.sandboxDefaults).
    DEMO_TOKEN: u1,
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

const webQuery =
  '{ dashboard { user { name email } recentOrders(limit: 3) { id status total { formatted } items { quantity product { name price { formatted } } } } notifications(limit: 5) { kind message read } unreadCount recommendations(limit: 3) { name } } }';
const mobileQuery =
  '{ dashboard { summary { name role } unread(limit: 3) { kind message createdAt } } productCards(ids: ["p1", "p2", "p3"]) { id name inStock } }';
const partnerQuery = '{ products(ids: ["p1", "p2"]) { id name stock { available } } }';
// The demo config's REST route (gateway.demo.yaml), when the config in use has it.
const routeLines = config.routes.some((route) => route.path === '/api/products')
  ? `Example REST route (GET /api/products → the products service's /products):\n  curl -si '${new URL(url).origin}/api/products?ids=p1,p2'\n\n`
  : '';

type DemoClient = keyof typeof apiKeys;
// SWITCHBOARD_CONFIG may name a file without the demo keys: then only what it has is printed.
const configuredKeys = new Set(config.auth.apiKeys.map((entry) => entry.key));
const hasKey = (client: DemoClient) => configuredKeys.has(apiKeys[client]);
const keyLines = (Object.keys(apiKeys) as DemoClient[])
  .filter(hasKey)
  .map((client) => `  ${client.padEnd(8)} ${apiKeys[client]}`);
/** The client's key; without one, its name, which selects its schema but grants nothing. */
const clientHeader = (client: DemoClient) =>
  hasKey(client) ? `x-api-key: ${apiKeys[client]}` : `apollographql-client-name: ${client}`;
const curl = (headers: string[], query: string) =>
  [
    `curl -s ${url} -H 'content-type: application/json'`,
    ...headers.map((header) => `-H '${header}'`),
    `-d '${JSON.stringify({ query })}'`,
  ].join(' \\\n    ');

const subscription = 'subscription { notificationAdded { id kind message createdAt } }';
const sseCurl = [
  `curl -sN ${url} -H 'content-type: application/json' -H 'accept: text/event-stream'`,
  `-H 'authorization: Bearer ${u2}'`,
  `-d '${JSON.stringify({ query: subscription })}'`,
].join(' \\\n    ');
const wsScript = `node --input-type=module -e "import { createClient } from 'graphql-ws'; import WebSocket from 'ws'; const client = createClient({ url: '${url.replace(/^http/, 'ws')}', webSocketImpl: WebSocket, connectionParams: { authorization: 'Bearer ${u2}' } }); for await (const result of client.iterate({ query: '${subscription}' })) console.log(JSON.stringify(result));"`;
const ideLines = !config.server.sandbox
  ? '  IDE: off in this config (server.sandbox)'
  : config.server.sandboxIde === 'apollo'
    ? `  IDE (Apollo Sandbox, loaded from Apollo's CDN): open ${url} in a browser`
    : [
        `  IDE: open ${url} in a browser and press Ctrl+Enter: the dashboard query, u1's token`,
        `       and the web key are filled in; "Fan-out" on the left shows each upstream call.`,
        `       ${url}?client=mobile opens the mobile client's schema.`,
      ].join('\n');

process.stdout.write(`
Switchboard demo is running.

  GraphQL endpoint: ${url}
${ideLines}
  Demo services: users ${services.urls.users}, orders ${services.urls.orders},
                 notifications ${services.urls.notifications}, products ${services.urls.products.join(' ')},
                 inventory ${services.urls.inventory}, recommendations (gRPC) ${recommendations.address}
  Upstream latency: ${latencyMs} ms (set DEMO_LATENCY_MS to change)

Demo token for u1 (ADMIN), valid 24 h:
  ${u1}
Demo token for u2 (USER):
  ${u2}

Demo API keys (x-api-key header); each client gets its own schema (schema/clients/<client>):
${keyLines.length > 0 ? keyLines.join('\n') : '  none in this config'}

Example dashboard query (web: the base schema):
  ${curl([clientHeader('web'), `authorization: Bearer ${u1}`], webQuery)}

Example mobile query (a compact dashboard and product cards):
  ${curl([clientHeader('mobile'), `authorization: Bearer ${u1}`], mobileQuery)}

${routeLines}Example partner query (the catalogue with stock from the inventory service):
  ${curl([clientHeader('partner')], partnerQuery)}

Live notifications (subscriptions), as u2. Subscribe over server-sent events:
  ${sseCurl}
or over WebSocket (graphql-ws), from this folder:
  ${wsScript}
then create a notification for u2 (placing an order as u2 creates an ORDER one):
  curl -s ${services.urls.notifications}/notifications -H 'content-type: application/json' \\
    -d '{"userId":"u2","kind":"SYSTEM","message":"Hello from the demo"}'

Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await gateway.close();
  await services.close();
  await recommendations.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
