import type { RouteConfig } from '../config/types.js';
import type { HeaderTransform } from '../upstream/types.js';

/** One configured route, ready to match and to proxy. */
export interface Route {
  /** The configured `path`, as logs and metrics name the route. */
  path: string;
  upstream: string;
  methods: ReadonlySet<string>;
  /** The `Allow` header of its 405 answers. */
  allow: string;
  auth: RouteConfig['auth'];
  timeoutMs?: number;
  requestHeaders?: HeaderTransform;
  responseHeaders?: HeaderTransform;
  /** What replaces the matched prefix upstream ('' for `/`). */
  rewrite: string;
  /** The prefix a request path must equal or continue with `/` ('' for `/`: every path). */
  prefix: string;
}

/** A request that matched a route: where it goes upstream. */
export interface RouteMatch {
  route: Route;
  /** The path the service receives (still percent-encoded, as the caller sent it). */
  path: string;
  /** The caller's query string, `?` included, unchanged ('' without one). */
  search: string;
  /** The path climbs out of its prefix (`..`, also percent-encoded): it must not be sent. */
  unsafe: boolean;
}

/** The configured routes, longest prefix first. */
export interface RouteTable {
  readonly size: number;
  /** The route a raw request target (`/api/products/p1?x=1`) belongs to, if any. */
  match(target: string): RouteMatch | undefined;
}

/** Compiles `routes:` (validated and normalised by the config loader) into a table. */
export function createRouteTable(routes: readonly RouteConfig[]): RouteTable {
  const compiled = routes
    .map((config): Route => {
      const prefix = config.path === '/' ? '' : config.path;
      const rewrite = config.rewrite === undefined ? prefix : config.rewrite === '/' ? '' : config.rewrite;
      const route: Route = {
        path: config.path,
        upstream: config.upstream,
        methods: new Set(config.methods),
        allow: config.methods.join(', '),
        auth: config.auth,
        rewrite,
        prefix,
      };
      if (config.timeoutMs !== undefined) route.timeoutMs = config.timeoutMs;
      if (config.requestHeaders) route.requestHeaders = config.requestHeaders;
      if (config.responseHeaders) route.responseHeaders = config.responseHeaders;
      return route;
    })
    // `/api/products` before `/api`: the most specific route wins, whatever the file's order.
    .sort((a, b) => b.prefix.length - a.prefix.length);

  return {
    size: compiled.length,
    match(target) {
      const queryStart = target.indexOf('?');
      const path = queryStart === -1 ? target : target.slice(0, queryStart);
      // An absolute-form target (`GET http://host/x`) is not a path: no route takes it.
      if (!path.startsWith('/')) return undefined;
      for (const route of compiled) {
        const rest = path.slice(route.prefix.length);
        if (!path.startsWith(route.prefix) || (rest !== '' && !rest.startsWith('/'))) continue;
        return {
          route,
          path: `${route.rewrite}${rest}` || '/',
          search: queryStart === -1 ? '' : target.slice(queryStart),
          unsafe: hasDotSegment(rest),
        };
      }
      return undefined;
    },
  };
}

// `.` and `..` as segments, also percent-encoded, and between the separators a service may
// decode (`%2f`) or accept (`\`, `%5c`): `/api/products/%2e%2e/admin` would leave the route.
const dotSegment = /(?:^|\/|\\|%2f|%5c)(?:\.|%2e){1,2}(?=$|\/|\\|%2f|%5c)/i;

function hasDotSegment(path: string): boolean {
  return dotSegment.test(path);
}
