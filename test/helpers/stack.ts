// A real stack for end-to-end tests: the demo services on port 0 (with fault injection) and a
// real gateway on port 0 in front of them, configured through the real config loader.
import { SignJWT } from 'jose';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { type DemoServices, type DemoServicesOptions, startDemoServices } from '../../src/demo/services.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';

export const testSecret = 'switchboard-test-secret-0123456789abcdef';

export interface GraphQLAnswer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
    extensions?: Record<string, unknown>;
  };
}

export interface Stack {
  services: DemoServices;
  gateway: Gateway;
  /** Base URL of the gateway, e.g. http://127.0.0.1:41234 */
  url: string;
  graphql(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<GraphQLAnswer>;
  close(): Promise<void>;
}

export interface StackOptions {
  services?: DemoServicesOptions;
  /** Where the gateway's JSON log lines go (level info); silent when absent. */
  logStream?: DestinationStream;
  /** Extra environment for the config loader (e.g. timeouts are set through a config file). */
  env?: Record<string, string>;
  /** A YAML config file's path. */
  configFile?: string;
  /**
   * Also sets INVENTORY_URL to the demo inventory service, for a config file that declares it
   * (`inventoryUpstreamYaml()` in temp-config.ts): a test of the partner client's `@rest` fields.
   */
  inventory?: boolean;
}

/** What gatewayEnv adds besides the four contract services. */
export interface GatewayEnvOptions {
  /** INVENTORY_URL too; it only matters to a config file that says `${INVENTORY_URL}`. */
  inventory?: boolean;
}

/** The environment that points a gateway at `services` on a free loopback port, with the test secret. */
export function gatewayEnv(services: DemoServices, options: GatewayEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    JWT_SECRET: testSecret,
    USERS_URL: services.urls.users,
    ORDERS_URL: services.urls.orders,
    NOTIFICATIONS_URL: services.urls.notifications,
    PRODUCTS_URL: services.urls.products.join(','),
  };
  // Opt-in: the inventory service is not in the contract, and a stack that never declares it
  // keeps its warnings and behaviour exactly as before.
  if (options.inventory) env.INVENTORY_URL = services.urls.inventory;
  return env;
}

/** Signs an HS256 token with the test secret. */
export async function tokenFor(
  sub: string,
  role: 'USER' | 'ADMIN' = 'USER',
  expiresIn = '1h',
): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(testSecret));
}

/** Starts demo services and a gateway in front of them; `close()` stops both. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Products answer `no-store` unless a test asks for the contract's `public, max-age=60`: tests
  // count exact upstream calls, and the gateway's HTTP cache would answer repeats itself.
  const services = await startDemoServices({ productsCacheControl: 'no-store', ...options.services });
  const { config } = loadConfig({
    file: options.configFile,
    env: { ...gatewayEnv(services, { inventory: options.inventory }), ...options.env },
  });
  const logger = options.logStream ? createLogger('info', options.logStream) : createLogger('silent');
  const gateway = await createGateway(config, { logger });
  const url = await gateway.listen();
  return {
    services,
    gateway,
    url,
    async graphql(query, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: opts.variables }),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: (await response.json()) as GraphQLAnswer['body'],
      };
    },
    async close() {
      await gateway.close();
      await services.close();
    },
  };
}
