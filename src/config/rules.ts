import { labelOf } from './messages.js';
import { isRecord, itemPath, keyPath, redactCredentials } from './paths.js';
import { bundledProto, defaultTiers, hopByHopHeaders } from './schema.js';
import type { GatewayConfig } from './types.js';
import { checkGrpcTarget, checkUrl } from './urls.js';
import type { ValidationContext } from './validate.js';

// Keys that switch a check on: given as an unset `${VAR}`, the check is silently off. Each is
// worth a warning at start-up, naming the key, the variable and what is not checked. (Key
// material is not here: a file lists the secret, the PEM and the JWKS URL as alternatives.)
const checksOffWhenUnset: Record<string, string> = {
  'auth.jwt.issuer': 'tokens are accepted from any issuer',
  'auth.jwt.audience': 'tokens are accepted for any audience',
  'trustedDocuments.mode': 'trusted documents are off (mode off)',
  'trustedDocuments.dir': 'trusted documents are read from the default schema/trusted',
};

/**
 * What the schema alone cannot say, on the validated tree: defaults that depend on other keys,
 * URLs that depend on the protocol, and rules that span keys. Problems go to `context.errors`.
 */
export function finishConfig(raw: Record<string, unknown>, context: ValidationContext): GatewayConfig {
  const config = raw as unknown as GatewayConfig;
  const { errors } = context;
  const production = config.production === true;
  if (isRecord(config.server)) {
    // Production hides the schema and the IDE unless the config asks for them explicitly.
    config.server.introspection ??= !production;
    config.server.sandbox ??= !production;
  }
  finishRateLimits(config, errors);
  finishUpstreams(config, context);
  if (isRecord(config.auth) && isRecord(config.auth.jwt) && typeof config.auth.jwt.publicKey === 'string') {
    // Env variables often carry a PEM on one line with literal "\n"; a PEM never contains "\n" itself.
    config.auth.jwt.publicKey = config.auth.jwt.publicKey.replaceAll('\\n', '\n');
  }
  checkApiKeys(config, errors);
  checkRoutes(config, errors);
  for (const [path, variable] of context.unset) {
    const lost = checksOffWhenUnset[path];
    if (lost) context.warnings.push(`${path} is given as \${${variable}}, which is not set: ${lost}`);
  }
  return config;
}

function finishRateLimits(config: GatewayConfig, errors: string[]): void {
  const { rateLimits, redis } = config;
  if (!isRecord(rateLimits)) return;
  // Callers without an API key always land in `anonymous`, so it must exist whatever else is given.
  if (isRecord(rateLimits.tiers) && rateLimits.tiers.anonymous === undefined) {
    rateLimits.tiers.anonymous = { ...defaultTiers.anonymous };
  }
  rateLimits.storeExplicit = rateLimits.store !== undefined;
  // REDIS_URL means "several instances share limits": use it unless the config says memory.
  rateLimits.store ??= isRecord(redis) && redis.url !== undefined ? 'redis' : 'memory';
  if (rateLimits.store === 'redis' && isRecord(redis) && redis.url === undefined) {
    errors.push(
      'redis.url is required when rateLimits.store is redis: set it in the config file or the REDIS_URL environment variable',
    );
  }
}

/** URLs by protocol (http base URLs, gRPC host:port), a gRPC service's proto, header transforms. */
function finishUpstreams(config: GatewayConfig, context: ValidationContext): void {
  const { errors, sources } = context;
  if (!isRecord(config.upstreams)) return;
  for (const [name, upstream] of Object.entries(config.upstreams)) {
    if (!isRecord(upstream)) continue;
    const path = `upstreams.${name}`;
    const grpc = upstream.protocol === 'grpc';
    // An unknown protocol was reported: its URLs cannot be judged.
    if (Array.isArray(upstream.urls) && (grpc || upstream.protocol === 'http')) {
      upstream.urls = upstream.urls.map((url, index) => {
        if (typeof url !== 'string') return url;
        const checked = grpc ? checkGrpcTarget(url) : checkUrl('http', url);
        if ('url' in checked) return checked.url;
        const label = labelOf(itemPath(`${path}.urls`, index), sources);
        errors.push(`${label} must ${checked.invalid}, received ${JSON.stringify(redactCredentials(url))}`);
        return url;
      });
    }
    if (grpc) upstream.proto ??= bundledProto;
    else if (upstream.proto !== undefined) errors.push(`${path}.proto is for protocol grpc only`);
    checkTransform(upstream.requestHeaders, `${path}.requestHeaders`, errors);
  }
}

function checkTransform(transform: unknown, path: string, errors: string[]): void {
  if (!isRecord(transform) || !isRecord(transform.set)) return;
  for (const name of Object.keys(transform.set)) {
    if ((hopByHopHeaders as readonly string[]).includes(name.toLowerCase())) {
      errors.push(`${keyPath(`${path}.set`, name)} is a hop-by-hop or framing header: it cannot be set`);
    }
  }
}

function checkApiKeys(config: GatewayConfig, errors: string[]): void {
  const { auth, rateLimits } = config;
  if (!isRecord(auth) || !Array.isArray(auth.apiKeys)) return;
  const tiers =
    isRecord(rateLimits) && isRecord(rateLimits.tiers) ? Object.keys(rateLimits.tiers) : undefined;
  const firstUse = new Map<string, number>();
  auth.apiKeys.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const path = itemPath('auth.apiKeys', index);
    // Tier names are not secret, but everything under auth stays unechoed: list the valid ones instead.
    if (typeof entry.tier === 'string' && tiers !== undefined && !tiers.includes(entry.tier)) {
      errors.push(`${path}.tier must name a configured rateLimits tier (${tiers.join(', ')})`);
    }
    if (typeof entry.key !== 'string') return;
    const first = firstUse.get(entry.key);
    if (first === undefined) firstUse.set(entry.key, index);
    else
      errors.push(
        `${path}.key repeats the key of ${itemPath('auth.apiKeys', first)}: each key must be unique`,
      );
  });
}

// The gateway's own endpoints always answer their paths: a route there would be reached only
// by the methods they leave free, which is never what its author meant.
const gatewayEndpoints = ['/graphql', '/health', '/ready', '/metrics'];

const withoutTrailingSlash = (path: string): string => path.replace(/(?<=.)\/+$/, '');

/** Whether `path` is `prefix` or below it (`/graphql/x` is under `/graphql`, `/graphqlx` is not). */
const isUnder = (path: string, prefix: string): boolean => path === prefix || path.startsWith(`${prefix}/`);

function checkRoutes(config: GatewayConfig, errors: string[]): void {
  if (!Array.isArray(config.routes)) return;
  const seen = new Map<string, number>();
  config.routes.forEach((route, index) => {
    if (!isRecord(route)) return;
    const path = itemPath('routes', index);
    const upstream = isRecord(config.upstreams) ? config.upstreams[route.upstream as string] : undefined;
    if (typeof route.upstream === 'string' && upstream === undefined) {
      const known = isRecord(config.upstreams) ? Object.keys(config.upstreams).join(', ') : '';
      errors.push(`${path}.upstream names no upstream (configured: ${known})`);
    } else if (isRecord(upstream) && upstream.protocol === 'grpc') {
      errors.push(`${path}.upstream ${route.upstream} is a gRPC service: routes proxy HTTP services only`);
    }
    if (typeof route.path === 'string') {
      // `/api/` and `/api` name the same prefix: kept without the trailing slash (`/` stays `/`).
      route.path = withoutTrailingSlash(route.path);
      const own = gatewayEndpoints.find((endpoint) => isUnder(route.path as string, endpoint));
      if (own)
        errors.push(`${path}.path ${route.path} is under the gateway's own ${own}: choose another path`);
      const first = seen.get(route.path);
      if (first !== undefined) errors.push(`${path}.path repeats the path of ${itemPath('routes', first)}`);
      else seen.set(route.path, index);
    }
    if (typeof route.rewrite === 'string') {
      // Like path: a rewrite that climbs (`/a/..`) would send callers outside the prefix it names.
      if (/(?:^|\/)\.{1,2}(?:\/|$)/.test(route.rewrite)) {
        errors.push(
          `${path}.rewrite must not have "." or ".." segments, received ${JSON.stringify(route.rewrite)}`,
        );
      }
      route.rewrite = withoutTrailingSlash(route.rewrite);
    }
    checkTransform(route.requestHeaders, `${path}.requestHeaders`, errors);
    checkTransform(route.responseHeaders, `${path}.responseHeaders`, errors);
  });
}
