import type { ApiKeyConfig } from '../config/types.js';
import type { IdeManifest } from './bundle.js';

/** Where the page loads its files from (the gateway's own routes; see index.ts). */
export const assetPrefix = '/graphql/ide/';

/**
 * The page may load scripts, styles, fonts, images and workers from the gateway only, and talk
 * to it only (fetch and graphql-ws: `'self'` covers ws: and wss: to the same host). No inline
 * script or style: the build turns the stylesheets' data: URLs into files, and the settings
 * travel in a JSON block, which is data, not script.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page opens with; the browser side reads it in ide/src/settings.ts. */
export interface IdePageSettings {
  endpoint: string;
  client?: string;
  query?: string;
  headers: Record<string, string>;
  keyLeftOut: boolean;
}

/**
 * The settings for a page opened on `client` (undefined: the base schema). A default
 * `x-api-key` of another client is left out: the key names its client and would win over the
 * page's `apollographql-client-name`, so the page would show one schema and run another.
 */
export function pageSettings(
  defaults: { query?: string; headers?: Record<string, string> },
  apiKeys: readonly ApiKeyConfig[],
  client: string | undefined,
): IdePageSettings {
  const headers: Record<string, string> = {};
  let keyLeftOut = false;
  for (const [name, value] of Object.entries(defaults.headers ?? {})) {
    if (client && name.toLowerCase() === 'x-api-key') {
      const keyClient = apiKeys.find((entry) => entry.key === value)?.client;
      if (keyClient !== client) {
        keyLeftOut = true;
        continue;
      }
    }
    headers[name] = value;
  }
  return { endpoint: '/graphql', client, query: defaults.query, headers, keyLeftOut };
}

/** The IDE's HTML: the bundle's stylesheets and module script, and the settings as JSON. */
export function renderPage(manifest: IdeManifest, settings: IdePageSettings): string {
  const styles = manifest.styles
    .map((file) => `<link rel="stylesheet" href="${assetPrefix}${file}">`)
    .join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Switchboard IDE${settings.client ? ` · ${escapeHtml(settings.client)}` : ''}</title>
    ${styles}
    <script type="module" src="${assetPrefix}${manifest.script}"></script>
  </head>
  <body>
    <div id="ide"></div>
    <script type="application/json" id="ide-settings">${jsonForHtml(settings)}</script>
  </body>
</html>
`;
}

/** Shown when the bundle was never built: says how to build it. */
export function renderNotBuiltPage(): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Switchboard IDE</title></head>
  <body>
    <h1>The IDE is not built</h1>
    <p>Run <code>npm run build:ide</code> (<code>npm install</code> runs it too), then reload.
    GraphQL requests to this endpoint work without it.</p>
  </body>
</html>
`;
}

/** JSON that cannot end the script block it sits in, whatever the config's strings hold. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
