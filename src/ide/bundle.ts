import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:ide` writes the bundle: dist/ide-bundle/ from src/ide/ and dist/ide/ alike. */
export const defaultBundleDir = fileURLToPath(new URL('../../dist/ide-bundle/', import.meta.url));

/** manifest.json as ide/build.ts writes it. */
export interface IdeManifest {
  inputHash: string;
  /** The page's module script. */
  script: string;
  styles: string[];
  /** Every file the page may load (hashed names); text ones also as NAME.gz. */
  files: string[];
}

/** One file of the bundle, ready to send. */
export interface IdeAsset {
  type: string;
  body: Buffer;
  /** The same bytes gzipped, when the build compressed them. */
  gzip?: Buffer;
}

/** The built IDE: its manifest and its files, read once each on first use. */
export interface IdeBundle {
  manifest: IdeManifest;
  /** The file of that name, or undefined when the manifest does not list it (never a path). */
  asset(name: string): Promise<IdeAsset | undefined>;
}

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/**
 * Opens the bundle in `dir`; undefined when it was never built (a production install without
 * dev dependencies, or a checkout before `npm install`).
 */
export async function openIdeBundle(dir = defaultBundleDir): Promise<IdeBundle | undefined> {
  let manifest: IdeManifest;
  try {
    manifest = JSON.parse(await readFile(`${dir}/manifest.json`, 'utf8')) as IdeManifest;
  } catch {
    return undefined;
  }
  const listed = new Set(manifest.files);
  // Bounded by the manifest: a few dozen files, about 9 MB with their gzipped copies.
  const loaded = new Map<string, Promise<IdeAsset>>();
  const load = async (name: string): Promise<IdeAsset> => {
    const body = await readFile(`${dir}/${name}`);
    const gzip = await readFile(`${dir}/${name}.gz`).catch(() => undefined);
    return { type: types[extname(name)] ?? 'application/octet-stream', body, gzip };
  };
  return {
    manifest,
    asset(name) {
      // Only names the manifest lists: no path from the URL ever reaches the file system.
      if (!listed.has(name)) return Promise.resolve(undefined);
      let asset = loaded.get(name);
      if (!asset) {
        asset = load(name);
        // A file removed under a running gateway: the next request tries again.
        asset.catch(() => loaded.delete(name));
        loaded.set(name, asset);
      }
      return asset.catch(() => undefined);
    },
  };
}
