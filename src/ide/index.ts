import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { clientNamePattern } from '../config/names.js';
import type { GatewayConfig } from '../config/types.js';
import { ErrorCode, errorBody } from '../errors.js';
import { openIdeBundle } from './bundle.js';
import { assetPrefix, contentSecurityPolicy, pageSettings, renderNotBuiltPage, renderPage } from './page.js';

export interface IdeOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Where the bundle is (tests); default dist/ide-bundle/. */
  bundleDir?: string;
}

// Hashed names change with their content: a browser may keep them for a year untouched.
const immutable = 'public, max-age=31536000, immutable';

/**
 * The self-hosted GraphQL IDE (`server.sandbox`, `server.sandboxIde: graphiql`):
 * - GET /graphql from a browser (accept: text/html, no `query` parameter) answers the page,
 *   before the /graphql route's stages run, so a GraphQL GET is never taken for it;
 * - `?client=<name>` opens it on that client's schema variant;
 * - GET /graphql/ide/<file> serves the bundle's files, cached for good.
 * Call before the /graphql route is registered.
 */
export async function registerIde(app: FastifyInstance, options: IdeOptions): Promise<void> {
  const { config } = options;
  const bundle = await openIdeBundle(options.bundleDir);
  if (!bundle)
    options.logger.warn('the IDE is not built (run `npm run build:ide`): GET /graphql shows how to build it');

  app.addHook('onRequest', async (request, reply) => {
    if (!isPageRequest(request)) return;
    const client = (request.query as Record<string, unknown>).client;
    if (client !== undefined && (typeof client !== 'string' || !clientNamePattern.test(client)))
      return reply
        .code(400)
        .send(errorBody(ErrorCode.BAD_REQUEST, 'client must be 1 to 64 letters, digits, ".", "_" or "-"'));
    pageHeaders(reply);
    if (!bundle) return reply.code(503).type('text/html; charset=utf-8').send(renderNotBuiltPage());
    const settings = pageSettings(config.server.sandboxDefaults, config.auth.apiKeys, client);
    return reply.type('text/html; charset=utf-8').send(renderPage(bundle.manifest, settings));
  });

  app.get<{ Params: { file: string } }>(`${assetPrefix}:file`, async (request, reply) => {
    const asset = await bundle?.asset(request.params.file);
    if (!asset) return reply.code(404).send(errorBody(ErrorCode.NOT_FOUND, 'Not found'));
    const gzip = asset.gzip && acceptsGzip(request);
    void reply
      .header('cache-control', immutable)
      .header('content-security-policy', contentSecurityPolicy)
      .header('x-content-type-options', 'nosniff')
      .header('cross-origin-resource-policy', 'same-origin')
      .type(asset.type);
    if (asset.gzip) void reply.header('vary', 'accept-encoding');
    if (gzip) return reply.header('content-encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  });
}

/** A browser opening /graphql, as opposed to a GraphQL request sent with GET. */
function isPageRequest(request: FastifyRequest): boolean {
  if (request.method !== 'GET' || request.routeOptions.url !== '/graphql') return false;
  const query = request.query as Record<string, unknown>;
  if (query.query !== undefined || query.extensions !== undefined) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

function pageHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    // The page may hold the configured default token: no cache keeps it.
    .header('cache-control', 'no-store')
    .header('vary', 'accept');
}

function acceptsGzip(request: FastifyRequest): boolean {
  return /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
}
