import { mkdir, rm, writeFile } from 'node:fs/promises';
import { buildSchema, type GraphQLSchema } from 'graphql';
import { compareSchemas } from './breaking.js';
import { printSnapshot, readSnapshots, snapshotPath } from './snapshot.js';
import { baseVariantName, display } from './sources.js';
import { composeVariants } from './variants.js';

/**
 * - current: the snapshot is what the variant prints now;
 * - outdated: it differs by safe changes only (added fields, types…);
 * - breaking: a client may break (see breaking.ts);
 * - missing: the variant has no snapshot yet;
 * - removed: a snapshot whose client folder is gone (its client's requests now get the base).
 */
export type VariantStatus = 'current' | 'outdated' | 'breaking' | 'missing' | 'removed';

/** One variant against its committed snapshot. */
export interface VariantCheck {
  /** `base` or the client's name. */
  variant: string;
  status: VariantStatus;
  /** The snapshot it should have now; undefined for a removed client. */
  snapshot?: string;
  breaking: string[];
  dangerous: string[];
}

/** Every variant against the snapshots folder: the base first, then the clients, then removed ones. */
export interface SnapshotCheck {
  snapshotsDir: string;
  variants: VariantCheck[];
  /** From composing (e.g. clients.dir does not exist). */
  warnings: string[];
}

/**
 * Composes every variant of `clientsDir` as the gateway does at start-up and compares each with
 * its snapshot in `snapshotsDir`. Throws what composing throws (ClientSchemaError naming file and
 * line, ClientSourceError for a folder that cannot be a client).
 */
export async function checkSnapshots(clientsDir: string, snapshotsDir: string): Promise<SnapshotCheck> {
  // Whether each @rest service is under `upstreams` is a deployment's concern, which start-up
  // reports; the snapshot is the same for every deployment.
  const composed = await composeVariants(clientsDir, () => true);
  const current: [string, GraphQLSchema][] = [
    [baseVariantName, composed.base.schema],
    ...composed.clients.map((client): [string, GraphQLSchema] => [client.name, client.schema]),
  ];
  const snapshots = await readSnapshots(snapshotsDir);
  const variants = current.map(([variant, schema]) =>
    compareWith(variant, printSnapshot(variant, schema), snapshots.get(variant), snapshotsDir),
  );
  const names = new Set(current.map(([variant]) => variant));
  for (const variant of snapshots.keys()) {
    if (names.has(variant)) continue;
    const file = display(snapshotPath(snapshotsDir, variant));
    variants.push({
      variant,
      status: 'removed',
      breaking: [
        `the client was removed (no folder ${variant} in clients.dir, but ${file} exists): its requests now get the base schema`,
      ],
      dangerous: [],
    });
  }
  return { snapshotsDir, variants, warnings: composed.warnings };
}

function compareWith(
  variant: string,
  snapshot: string,
  committed: string | undefined,
  snapshotsDir: string,
): VariantCheck {
  const check = { variant, snapshot, breaking: [], dangerous: [] };
  if (committed === undefined) return { ...check, status: 'missing' };
  if (committed === snapshot) return { ...check, status: 'current' };
  let before: GraphQLSchema;
  try {
    before = buildSchema(committed);
  } catch (error) {
    // Hand-edited or merged badly: nothing to compare with, so nothing may be assumed safe.
    const file = display(snapshotPath(snapshotsDir, variant));
    return {
      ...check,
      status: 'breaking',
      breaking: [`${file} is not a valid schema: ${(error as Error).message}`],
    };
  }
  // Both sides from printed SDL: what printing leaves out (applied directives such as @rest)
  // is then left out of both, rather than counted as a change.
  const { breaking, dangerous } = compareSchemas(before, buildSchema(snapshot));
  return { ...check, status: breaking.length > 0 ? 'breaking' : 'outdated', breaking, dangerous };
}

/** What fails the check, one line each: `<variant>: <breaking change>` or a missing snapshot. */
export function failures(check: SnapshotCheck): string[] {
  return check.variants.flatMap((v) => {
    if (v.status !== 'missing') return v.breaking.map((change) => `${v.variant}: ${change}`);
    const what = v.variant === baseVariantName ? 'the base schema' : `client ${v.variant}`;
    return [`no snapshot for ${what}: run npm run schema:snapshot`];
  });
}

/** Breaking changes and removed clients: what `schema:snapshot` writes only with `--accept-breaking`. */
export function breakingChanges(check: SnapshotCheck): string[] {
  return check.variants.flatMap((v) => v.breaking.map((change) => `${v.variant}: ${change}`));
}

/** What refreshing did, or the breaking changes it refused to acknowledge. */
export interface SnapshotRefresh {
  refused: string[];
  /** One line per file: `wrote schema/snapshots/mobile.graphql (new)`, `removed …`. */
  actions: string[];
}

/**
 * Writes every variant's snapshot that is missing or differs, and removes the snapshots of
 * clients that are gone; refuses (writing nothing) when that would acknowledge breaking changes
 * and `acceptBreaking` is false.
 */
export async function refreshSnapshots(
  check: SnapshotCheck,
  { acceptBreaking }: { acceptBreaking: boolean },
): Promise<SnapshotRefresh> {
  const refused = breakingChanges(check);
  if (refused.length > 0 && !acceptBreaking) return { refused, actions: [] };
  await mkdir(check.snapshotsDir, { recursive: true });
  const actions: string[] = [];
  for (const v of check.variants) {
    const file = snapshotPath(check.snapshotsDir, v.variant);
    if (v.status === 'removed') {
      await rm(file, { force: true });
      actions.push(`removed ${display(file)} (client ${v.variant} no longer exists)`);
    } else if (v.status === 'current') {
      actions.push(`kept ${display(file)} (up to date)`);
    } else {
      await writeFile(file, v.snapshot ?? '', 'utf8');
      const why = { missing: 'new', outdated: 'safe changes', breaking: 'breaking changes accepted' }[
        v.status
      ];
      actions.push(`wrote ${display(file)} (${why})`);
    }
  }
  return { refused: [], actions };
}
