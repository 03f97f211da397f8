// `npm run check:layers` (part of `npm test`): the folders of src/ form layers, each importing
// only from layers below it, so the import graph between folders has no cycle and a reader can
// take src/ from the top (the composition root) down (errors, config). A file at the root of
// src/ is a layer node of its own. An import upwards, or a folder missing from the list below,
// fails the check with the file and the import that broke it.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

/** Top to bottom; a node may import from nodes in later groups only. */
export const layers: readonly (readonly string[])[] = [
  ['cli'],
  ['cluster'],
  ['demo'],
  ['gateway'],
  ['reload'],
  ['http', 'pipeline', 'subscriptions', 'ide', 'routes'],
  ['graphql'],
  ['clients'],
  ['directives'],
  ['resolvers'],
  ['generated'],
  ['context'],
  ['cache', 'persisted', 'ratelimit'],
  ['auth', 'operation', 'loaders'],
  ['observability'],
  ['metrics'],
  ['upstream'],
  ['stores', 'services'],
  ['logger'],
  ['config'],
  ['errors'],
];

const rankOf = new Map<string, number>();
layers.forEach((group, rank) => {
  for (const name of group) rankOf.set(name, rank);
});

/** The layer node of a file: its top folder under src/, or its own name for a root file. */
function nodeOf(srcDir: string, file: string): string {
  const parts = relative(srcDir, file).split('/');
  return parts.length > 1 ? parts[0]! : parts[0]!.replace(/\.[jt]s$/, '');
}

async function* sources(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every import that goes up or sideways across layers, as readable lines. */
export async function layerViolations(srcDir: string): Promise<string[]> {
  const problems: string[] = [];
  for await (const file of sources(srcDir)) {
    const from = nodeOf(srcDir, file);
    const fromRank = rankOf.get(from);
    if (fromRank === undefined) {
      problems.push(
        `${relative(process.cwd(), file)}: "${from}" is in no layer (add it to scripts/check-layers.ts)`,
      );
      continue;
    }
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const target = resolve(dirname(file), (match[1] ?? match[2])!);
      const to = nodeOf(srcDir, target);
      if (to === from) continue;
      const toRank = rankOf.get(to);
      if (toRank !== undefined && toRank > fromRank) continue;
      problems.push(
        `${relative(process.cwd(), file)}: ${from} imports ${to} (${match[1] ?? match[2]}), which is not below it`,
      );
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = await layerViolations(resolve('src'));
  if (problems.length > 0) {
    process.stderr.write(
      `check-layers: ${problems.length} import(s) break the layering:\n${problems.join('\n')}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`check-layers: ${layers.flat().length} layers, no import goes up\n`);
}
