// A further gateway instance in front of services that already run: several instances behind
// one load balancer share the services (and, with Redis, the limits), as in production.
import { loadConfig } from '../../src/config/load.js';
import type { DemoServices } from '../../src/demo/services.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { type GraphQLAnswer, gatewayEnv } from './stack.js';

/** An answer and how long it took, request sent to body read. */
export interface TimedAnswer extends GraphQLAnswer {
  ms: number;
}

export interface GatewayInstance {
  gateway: Gateway;
  url: string;
  graphql(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; headers?: Record<string, string> },
  ): Promise<TimedAnswer>;
  close(): Promise<void>;
}

/** Starts a gateway on 127.0.0.1, port 0, configured like startStack's, in front of `services`. */
export async function startGateway(
  services: DemoServices,
  options: { env?: Record<string, string>; configFile?: string } = {},
): Promise<GatewayInstance> {
  const { config } = loadConfig({
    file: options.configFile,
    env: { ...gatewayEnv(services), ...options.env },
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    async graphql(query, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      const started = performance.now();
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables: opts.variables }),
      });
      const body = (await response.json()) as GraphQLAnswer['body'];
      return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
    },
    close: () => gateway.close(),
  };
}
