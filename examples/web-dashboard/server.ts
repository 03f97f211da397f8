// The example's server: builds the page with esbuild in memory when it starts (nothing to
// install or fetch), serves it under a content-security-policy of 'self', and forwards
// POST /graphql to the gateway, as a frontend's dev server (Vite's proxy, say) does.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface ExampleOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:4000. */
  gatewayUrl: string;
  /** What the page sends: a user's token and the web app's API key. */
  token: string;
  apiKey: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

const policy = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
// Headers a browser's request may take to the gateway: what identifies the caller and the body.
const forwarded = ['content-type', 'accept', 'authorization', 'x-api-key', 'x-request-id'];

async function bundle(): Promise<{ js: string; css: string }> {
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./src/main.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    outdir: 'out',
    target: ['chrome120', 'firefox120', 'safari17'],
    logLevel: 'warning',
  });
  const text = (extension: string) =>
    result.outputFiles.find((file) => file.path.endsWith(extension))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}

function page(credentials: { token: string; apiKey: string }): string {
  // JSON in a data block: `<` escaped so no value can end the block.
  const json = JSON.stringify(credentials).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Web dashboard · Switchboard example</title>
    <link rel="stylesheet" href="/app.css">
    <script type="module" src="/app.js"></script>
  </head>
  <body>
    <main id="dashboard" aria-busy="true">Loading…</main>
    <button id="reload" type="button">Reload</button>
    <script type="application/json" id="credentials">${json}</script>
  </body>
</html>
`;
}

async function proxy(request: IncomingMessage, response: ServerResponse, gatewayUrl: string): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of forwarded) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    const answer = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers,
      body: Buffer.concat(chunks),
    });
    response.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    response.end(Buffer.from(await answer.arrayBuffer()));
  } catch {
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        errors: [{ message: 'The gateway did not answer', extensions: { code: 'BAD_GATEWAY' } }],
      }),
    );
  }
}

/** Builds the page and starts serving it; `close()` stops. */
export async function startExampleServer(options: ExampleOptions): Promise<ExampleServer> {
  const { js, css } = await bundle();
  const html = page({ token: options.token, apiKey: options.apiKey });
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (type: string, body: string) => {
      response.writeHead(200, {
        'content-type': type,
        'content-security-policy': policy,
        'cache-control': 'no-store',
      });
      response.end(body);
    };
    if (request.method === 'POST' && path === '/graphql')
      return void proxy(request, response, options.gatewayUrl);
    if (request.method !== 'GET') return void response.writeHead(405).end();
    if (path === '/') return send('text/html; charset=utf-8', html);
    if (path === '/app.js') return send('text/javascript; charset=utf-8', js);
    if (path === '/app.css') return send('text/css; charset=utf-8', css);
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
