import { isRecord } from './paths.js';
import { serviceUrlVariables } from './schema.js';

interface Override {
  variable: string;
  path: readonly string[];
  /** Turns the variable's text into the config value; undefined leaves the key alone. */
  parse?: (value: string) => unknown;
}

/** Several base URLs load-balance one service, so every service URL variable takes a comma list. */
const urlList = (value: string): string[] | undefined => {
  const urls = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return urls.length > 0 ? urls : undefined;
};

/** Environment variables that override the file, and the key each one sets. */
const overrides: readonly Override[] = [
  { variable: 'PORT', path: ['server', 'port'], parse: (value) => value.trim() },
  { variable: 'HOST', path: ['server', 'host'] },
  ...Object.entries(serviceUrlVariables).map(([service, variable]) => ({
    variable,
    path: ['upstreams', service, 'urls'],
    parse: urlList,
  })),
  // The gRPC recommendations service is optional: its `host:port` alone turns it on.
  { variable: 'RECOMMENDATIONS_URL', path: ['upstreams', 'recommendations', 'urls'], parse: urlList },
  {
    variable: 'RECOMMENDATIONS_URL',
    path: ['upstreams', 'recommendations', 'protocol'],
    parse: () => 'grpc',
  },
  { variable: 'JWT_SECRET', path: ['auth', 'jwt', 'secret'] },
  { variable: 'JWT_PUBLIC_KEY', path: ['auth', 'jwt', 'publicKey'] },
  { variable: 'JWT_JWKS_URL', path: ['auth', 'jwt', 'jwksUrl'] },
  { variable: 'JWT_ISSUER', path: ['auth', 'jwt', 'issuer'] },
  { variable: 'JWT_AUDIENCE', path: ['auth', 'jwt', 'audience'] },
  { variable: 'REDIS_URL', path: ['redis', 'url'] },
  { variable: 'LOG_LEVEL', path: ['log', 'level'] },
  // OpenTelemetry's own variables; an endpoint turns tracing on. The generic one is a base URL
  // to which the signal's path is appended (OTLP spec); the traces-specific one is used as is.
  { variable: 'OTEL_EXPORTER_OTLP_ENDPOINT', path: ['tracing', 'enabled'], parse: () => 'true' },
  {
    variable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    path: ['tracing', 'otlpEndpoint'],
    parse: (value) => `${value.trim().replace(/\/+$/, '')}/v1/traces`,
  },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: ['tracing', 'enabled'], parse: () => 'true' },
  { variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', path: ['tracing', 'otlpEndpoint'] },
  { variable: 'OTEL_SERVICE_NAME', path: ['tracing', 'serviceName'] },
  // Any other NODE_ENV leaves `production` to the file: "development" must not force it off.
  {
    variable: 'NODE_ENV',
    path: ['production'],
    parse: (value) => (value === 'production' ? true : undefined),
  },
];

/**
 * Writes the set variables into the (interpolated) raw config, so they win over the file, and
 * records in `sources` which variable set each key (messages about that key then name it).
 * Values stay strings: the validator converts and checks them like any other value.
 */
export function applyEnvOverrides(
  config: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  sources: Map<string, string>,
): void {
  for (const { variable, path, parse } of overrides) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const value = parse === undefined ? text : parse(text);
    if (value === undefined) continue;
    const parent = ensureParent(config, path);
    const key = path.at(-1);
    // A parent of the wrong type is reported by the validator; the override has nowhere to go.
    if (parent === undefined || key === undefined) continue;
    parent[key] = value;
    sources.set(path.join('.'), variable);
  }
}

function ensureParent(
  root: Record<string, unknown>,
  path: readonly string[],
): Record<string, unknown> | undefined {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key] ?? {};
    if (!isRecord(next)) return undefined;
    node[key] = next;
    node = next;
  }
  return node;
}
