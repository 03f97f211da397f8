import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { TrustedDocumentsConfig } from '../config/types.js';

/** The operations each client may run, from its manifest in `trustedDocuments.dir`. */
export interface TrustedDocuments {
  /** The document whose SHA-256 (hex) is `hash`, from any client's manifest. */
  documentOf(hash: string): string | undefined;
  /** Whether `client`'s manifest lists the document whose SHA-256 is `hash`. */
  allows(client: string, hash: string): boolean;
  /** Documents per client, for the start-up log. */
  readonly counts: Readonly<Record<string, number>>;
}

/** The SHA-256 of a document's text, hex: its id in APQ, manifests and `documentId`. */
export function documentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

// A manifest's name is its client's name, which also comes from API keys (the same pattern).
const clientFile = /^([A-Za-z0-9._-]{1,64})\.json$/;

/** No manifest: mode `off`. */
export const noTrustedDocuments: TrustedDocuments = {
  documentOf: () => undefined,
  allows: () => false,
  counts: {},
};

/**
 * Reads `<client>.json` manifests from `config.dir` once, at start-up, when the mode is not
 * `off`. A missing directory, unreadable or malformed manifest, an id that is not the SHA-256 of
 * its document, or a document that does not parse stops the start-up, naming the file.
 */
export async function loadTrustedDocuments(config: TrustedDocumentsConfig): Promise<TrustedDocuments> {
  if (config.mode === 'off') return noTrustedDocuments;
  let names: string[];
  try {
    names = await readdir(config.dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `trustedDocuments.dir ${config.dir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`} ` +
        `(trustedDocuments.mode is ${config.mode})`,
    );
  }
  const byHash = new Map<string, string>();
  const byClient = new Map<string, ReadonlySet<string>>();
  const counts: Record<string, number> = {};
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = join(config.dir, name);
    const client = clientFile.exec(name)?.[1];
    if (client === undefined) {
      throw new Error(
        `trusted documents manifest ${file}: the file name must be <client>.json, the client being 1 to 64 letters, digits, dots, dashes or underscores`,
      );
    }
    const documents = parseManifest(await readManifest(file), file);
    for (const [hash, text] of documents) byHash.set(hash, text);
    byClient.set(client, new Set(documents.keys()));
    counts[client] = documents.size;
  }
  return {
    documentOf: (hash) => byHash.get(hash),
    allows: (client, hash) => byClient.get(client)?.has(hash) ?? false,
    counts,
  };
}

async function readManifest(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`trusted documents manifest ${file} cannot be read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`trusted documents manifest ${file} is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Two formats: GraphQL Code Generator's `persisted-documents.json` (`{ "<sha256>": "<document>" }`)
 * and Apollo's `persisted-query-manifest.json` (`{ format: "apollo-persisted-query-manifest",
 * version: 1, operations: [{ id, name, type, body }] }`). Returns hash -> document.
 */
function parseManifest(manifest: unknown, file: string): Map<string, string> {
  const fail = (problem: string): never => {
    throw new Error(`trusted documents manifest ${file}: ${problem}`);
  };
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return fail('must be a JSON object');
  }
  const entries: [string, unknown][] = [];
  if ('format' in manifest) {
    const { format, version, operations } = manifest as Record<string, unknown>;
    if (format !== 'apollo-persisted-query-manifest') {
      fail(`format must be "apollo-persisted-query-manifest", received ${JSON.stringify(format)}`);
    }
    if (version !== 1) fail(`version must be 1, received ${JSON.stringify(version)}`);
    if (!Array.isArray(operations)) return fail('operations must be a list');
    operations.forEach((operation: unknown, index) => {
      const { id, body } = (operation ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string') fail(`operations[${index}].id must be a string`);
      entries.push([id as string, body]);
    });
  } else {
    entries.push(...Object.entries(manifest));
  }
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    const label = `document ${JSON.stringify(id.length > 70 ? `${id.slice(0, 64)}…` : id)}`;
    if (typeof body !== 'string') fail(`${label} must be the document's text (a string)`);
    // GraphQL Code Generator hashes with SHA-1 unless told otherwise: the message names the fix.
    if (documentHash(body as string) !== id) {
      fail(
        `${label}: the id is not the SHA-256 of the document, in hex (GraphQL Code Generator: set persistedDocuments.hashAlgorithm to 'sha256')`,
      );
    }
    try {
      parse(body as string, { noLocation: true });
    } catch (error) {
      fail(`${label} does not parse: ${(error as Error).message}`);
    }
    documents.set(id, body as string);
  }
  return documents;
}
