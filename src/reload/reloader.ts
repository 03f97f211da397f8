import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';

/** Where the config comes from: what SIGHUP re-reads. */
export interface ConfigSource {
  file?: string;
  env: NodeJS.ProcessEnv | Record<string, string | undefined>;
}

export type ReloadOutcome = 'applied' | 'rejected';

// Keys whose new value only a restart can take: the listening socket, the process layout, and
// the shared stores and exporters opened once at start-up.
const restartOnly = [
  'server.host',
  'server.port',
  'server.workers',
  'server.maxConnections',
  'server.bodyLimitBytes',
  'server.headersTimeoutMs',
  'server.keepAliveTimeoutMs',
  'server.maxHeaderBytes',
  'server.maxHeadersCount',
  'server.cors',
  'server.sandbox',
  'server.sandboxIde',
  'redis.url',
  'rateLimits.store',
  'rateLimits.failOpen',
  'cache',
  'persistedQueries',
  'subscriptions',
  'tracing',
  'production',
] as const;

const at = (config: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);

/** The restart-only keys whose value differs between two configs. */
export function keysNeedingRestart(before: GatewayConfig, after: GatewayConfig): string[] {
  return restartOnly.filter((path) => JSON.stringify(at(before, path)) !== JSON.stringify(at(after, path)));
}

export interface ReloaderOptions {
  source: ConfigSource;
  current(): GatewayConfig;
  /** Builds everything from the new config and makes it current; throws (coded) when it cannot. */
  apply(config: GatewayConfig): Promise<void>;
  logger: Logger;
  onOutcome(outcome: ReloadOutcome): void;
}

/**
 * Reloads the config without a restart (SIGHUP, or a watched file changing): the file is read
 * and validated as at start-up, the client schemas composed, and only then is the new config
 * made current. An invalid config or schema is refused with the key or `file:line`, and the
 * old one keeps serving. Reloads run one at a time, in the order they were asked for.
 */
export function createReloader(options: ReloaderOptions): (reason: string) => Promise<ReloadOutcome> {
  const { logger } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const reloadOnce = async (reason: string): Promise<ReloadOutcome> => {
    let restart: string[];
    try {
      const { config: next, warnings } = loadConfig({ file: options.source.file, env: options.source.env });
      for (const warning of warnings) logger.warn(warning);
      restart = keysNeedingRestart(options.current(), next);
      await options.apply(next);
    } catch (error) {
      // A ConfigError names every key; a client schema error every file:line: one per line.
      const errors = String((error as Error).message)
        .split('\n')
        .filter(Boolean);
      logger.error({ reason, errors }, 'configuration reload rejected; the old one stays');
      options.onOutcome('rejected');
      return 'rejected';
    }
    if (restart.length > 0) {
      logger.warn(
        { keys: restart },
        'configuration reloaded, but these keys keep their old value until a restart',
      );
    }
    logger.info({ reason }, 'configuration reloaded');
    options.onOutcome('applied');
    return 'applied';
  };
  return (reason) => {
    const run = queue.then(() => reloadOnce(reason));
    queue = run.catch(() => undefined);
    return run;
  };
}
