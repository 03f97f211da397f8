// `npm run build:ide`: bundles the IDE (GraphiQL, its explorer, the Fan-out panel, Monaco's
// workers) into dist/ide-bundle/ with hashed names, for the gateway to serve at GET /graphql.
// It runs on `npm install`/`npm ci` (prepare), before `npm start` and before the tests, and
// returns at once when its inputs have not changed since the last build (manifest.json keeps
// their hash), so those hooks cost nothing when there is nothing to do.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { BuildOptions, Metafile, Plugin } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const sourceDir = join(root, 'ide');
/** Where the gateway looks for the bundle (src/ide/assets.ts). */
export const bundleDir = join(root, 'dist', 'ide-bundle');

// Monaco runs its language services in web workers: one bundle each, loaded from the gateway.
const workers = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
};

// woff2, woff and png are compressed already.
const compressible = /\.(js|css|svg|ttf|txt)$/;

/** What the gateway reads to serve the bundle. */
export interface IdeManifest {
  /** Hash of everything the bundle is built from: a different one means rebuild. */
  inputHash: string;
  /** The page's module script and stylesheets (file names in bundleDir). */
  script: string;
  styles: string[];
  /** Every file the page may load; text files also exist gzipped as NAME.gz. */
  files: string[];
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/** Hash of the IDE's sources and the locked dependency versions. */
async function inputHash(): Promise<string> {
  const hash = createHash('sha256');
  const inputs: string[] = [join(root, 'package-lock.json')];
  for await (const file of filesUnder(sourceDir)) inputs.push(file);
  for (const file of inputs.sort()) {
    hash
      .update(relative(root, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

async function currentManifest(): Promise<IdeManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(bundleDir, 'manifest.json'), 'utf8')) as IdeManifest;
  } catch {
    return undefined;
  }
}

/** Builds the bundle unless it is already built from the same inputs; returns its manifest. */
export async function ensureIdeBuilt(options: { log?: (line: string) => void } = {}): Promise<IdeManifest> {
  const log = options.log ?? (() => {});
  const hash = await inputHash();
  const existing = await currentManifest();
  if (existing?.inputHash === hash) {
    log('build:ide: up to date');
    return existing;
  }
  const started = performance.now();
  const manifest = await build(hash);
  log(`build:ide: built ${manifest.files.length} files in ${Math.round(performance.now() - started)} ms`);
  return manifest;
}

function metafileOf(result: { metafile?: Metafile }): Metafile {
  if (!result.metafile) throw new Error('build:ide: esbuild returned no metafile');
  return result.metafile;
}

async function build(hash: string): Promise<IdeManifest> {
  // Imported here: a production install (`npm ci --omit=dev`) has no esbuild and needs no build.
  const esbuild = await import('esbuild');
  await rm(bundleDir, { recursive: true, force: true });
  await mkdir(bundleDir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    outdir: bundleDir,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    logLevel: 'warning',
    target: ['chrome120', 'firefox120', 'safari17'],
    define: { 'process.env.NODE_ENV': '"production"' },
  } satisfies BuildOptions;

  // Workers first: the page's script learns their hashed names (and so changes with them).
  const workerBuild = await esbuild.build({
    ...common,
    entryPoints: Object.entries(workers).map(([name, path]) => ({ in: path, out: `${name}.worker` })),
    format: 'iife',
  });
  const workerOutputs = metafileOf(workerBuild).outputs;
  const workerFiles: Record<string, string> = {};
  for (const [output, meta] of Object.entries(workerOutputs)) {
    if (!meta.entryPoint) continue;
    const name = Object.entries(workers).find(([, path]) => meta.entryPoint?.endsWith(path))?.[0];
    if (name) workerFiles[name] = basename(output);
  }

  const pageBuild = await esbuild.build({
    ...common,
    entryPoints: [{ in: join(sourceDir, 'src', 'main.tsx'), out: 'ide' }],
    // One script and one stylesheet: with code splitting esbuild would leave the stylesheets of
    // lazily loaded chunks (Monaco's) for the page to find and load itself.
    format: 'esm',
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.png': 'file', '.svg': 'file' },
    define: { ...common.define, __IDE_WORKERS__: JSON.stringify(workerFiles) },
    plugins: [dataUrlsToFiles()],
  });

  const pageOutputs = metafileOf(pageBuild).outputs;
  const outputs = { ...workerOutputs, ...pageOutputs };
  const entry = Object.entries(pageOutputs).find(([, meta]) => meta.entryPoint?.endsWith('src/main.tsx'));
  if (!entry) throw new Error('build:ide: esbuild produced no page script');
  const files = Object.keys(outputs).map((output) => basename(output));
  for (const file of files.filter((name) => compressible.test(name))) {
    const body = await readFile(join(bundleDir, file));
    await writeFile(join(bundleDir, `${file}.gz`), gzipSync(body, { level: 9 }));
  }
  const manifest: IdeManifest = {
    inputHash: hash,
    script: basename(entry[0]),
    styles: entry[1].cssBundle ? [basename(entry[1].cssBundle)] : [],
    files: files.sort(),
  };
  await writeFile(join(bundleDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// GraphiQL's and Monaco's stylesheets inline their fonts and images as `data:` URLs. A page
// whose content-security-policy allows only 'self' may not load those (font-src and img-src
// exclude `data:`), so every one becomes a file of its own beside the stylesheet, served by
// the gateway like the scripts.
const namespace = 'inline-data';
// url(data:…), url("data:…") or url('data:…'); the payload never holds a quote or a `)`.
const dataUrl = /url\(\s*(["']?)data:([^;,"')]+)((?:;[^,"')]*)*),([^"')]*)\1\s*\)/g;

const extensionOf: Record<string, string> = {
  'font/woff2': 'woff2',
  'font/woff': 'woff',
  'font/ttf': 'ttf',
  'application/font-woff': 'woff',
  'application/x-font-ttf': 'ttf',
  'image/png': 'png',
  'image/svg+xml': 'svg',
  'image/gif': 'gif',
};

/** An esbuild plugin that moves every `data:` URL of a stylesheet into an emitted file. */
export function dataUrlsToFiles(): Plugin {
  const payloads = new Map<string, Uint8Array>();
  return {
    name: 'data-urls-to-files',
    setup(build) {
      build.onLoad({ filter: /\.css$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        const contents = text.replace(
          dataUrl,
          (whole, _quote, type: string, params: string, payload: string) => {
            const extension = extensionOf[type.trim().toLowerCase()];
            // A type we do not know stays inline: the CSP test shows it if the page ever uses it.
            if (!extension) return whole;
            const bytes = params.includes(';base64')
              ? Buffer.from(payload, 'base64')
              : Buffer.from(decodeURIComponent(payload), 'utf8');
            // A folder per payload keeps the names apart; the file is named `inline-<hash>.<ext>`.
            const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}/inline.${extension}`;
            payloads.set(name, bytes);
            return `url("${namespace}:${name}")`;
          },
        );
        return { contents, loader: 'css' };
      });
      build.onResolve({ filter: new RegExp(`^${namespace}:`) }, (args) => ({
        path: args.path.slice(namespace.length + 1),
        namespace,
      }));
      build.onLoad({ filter: /.*/, namespace }, (args) => {
        const contents = payloads.get(args.path);
        if (!contents) return { errors: [{ text: `no inline data named ${args.path}` }] };
        return { contents, loader: 'file' };
      });
    },
  };
}

/** Whether this install has the build's tools (an install without dev dependencies has not). */
function canBuild(): boolean {
  try {
    import.meta.resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (canBuild()) await ensureIdeBuilt({ log: (line) => process.stdout.write(`${line}\n`) });
  else
    process.stdout.write(
      'build:ide: skipped: esbuild is not installed (no dev dependencies); GET /graphql says how to build the IDE\n',
    );
}
