import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { clientNamePattern } from '../auth/identity.js';

/** One client's extension files, as found in `clients.dir`. */
export interface ClientSource {
  /** The folder's name: the client name API keys and `apollographql-client-name` select. */
  name: string;
  /** Its `*.graphql` files in name order; `path` is relative to the working directory. */
  files: { path: string; body: string }[];
}

/** What `clients.dir` holds; `missing` when the folder does not exist. */
export interface ClientSources {
  dir: string;
  clients: ClientSource[];
  missing: boolean;
}

/** The base schema's name among the variants: its snapshot is `base.graphql`, so no client may take it. */
export const baseVariantName = 'base';

/** A folder that cannot be a client, or a file that cannot be read. */
export class ClientSourceError extends Error {
  override readonly name = 'ClientSourceError';
  readonly code = 'CLIENT_SCHEMA_INVALID';
}

/** Reads every client folder of `dir` (not recursively: one folder per client, flat files). */
export async function readClientSources(dir: string): Promise<ClientSources> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { dir, clients: [], missing: true };
    throw new ClientSourceError(`clients.dir ${dir} cannot be read (${code ?? String(error)})`);
  }
  const clients: ClientSource[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => compare(a.name, b.name))) {
    // A folder with any other name could never be selected by a key or the header.
    if (!clientNamePattern.test(entry.name)) {
      throw new ClientSourceError(
        `${display(join(dir, entry.name))}: a client folder's name must be 1-64 letters, digits, ".", "_" or "-"`,
      );
    }
    // Any case: on macOS and Windows `Base.graphql` and `base.graphql` are one file.
    if (entry.name.toLowerCase() === baseVariantName) {
      throw new ClientSourceError(
        `${display(join(dir, entry.name))}: "${baseVariantName}" is reserved for the base schema (its snapshot is ${baseVariantName}.graphql): rename the folder`,
      );
    }
    const folder = join(dir, entry.name);
    const names = (await readdir(folder, { withFileTypes: true }))
      .filter((file) => file.isFile() && file.name.endsWith('.graphql'))
      .map((file) => file.name)
      .sort(compare);
    const files = await Promise.all(
      names.map(async (name) => ({
        path: display(join(folder, name)),
        body: await readFile(join(folder, name), 'utf8'),
      })),
    );
    clients.push({ name: entry.name, files });
  }
  return { dir, clients, missing: false };
}

/** Paths in messages as an operator would type them: relative to where the gateway runs. */
export function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
