// What schema:check and schema:snapshot share: where the clients and their snapshots are, and
// composing and comparing every variant.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ClientSchemaError } from '../src/clients/compose.js';
import { defaultSnapshotsDir } from '../src/clients/snapshot.js';
import { checkSnapshots, type SnapshotCheck } from '../src/clients/snapshot-check.js';
import { ClientSourceError } from '../src/clients/sources.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { serviceUrlVariables } from '../src/config/schema.js';

export interface SchemaOptions {
  /** The clients folder (`clients.dir`), absolute. */
  clientsDir: string;
  /** The snapshots folder, absolute. */
  snapshotsDir: string;
  acceptBreaking: boolean;
}

/** `schema-check: …` on stderr, then exit: 2 for bad flags (like src/cli.ts), 1 for anything else. */
export function fail(program: string, message: string, exitCode: number): never {
  process.stderr.write(`${program}: ${message}\n`);
  process.exit(exitCode);
}

/**
 * Parses argv: `--config FILE` (its `clients.dir`) or `--dir DIR`, else the default clients.dir;
 * `--snapshots DIR`, else `snapshots` beside the clients folder. Prints usage and exits on
 * `--help` (0) or a bad flag (2).
 */
export function parseSchemaOptions(
  program: string,
  argv: string[],
  usage: string,
  { acceptBreaking = false }: { acceptBreaking?: boolean } = {},
): SchemaOptions {
  let values: {
    config?: string;
    dir?: string;
    snapshots?: string;
    help?: boolean;
    'accept-breaking'?: string | boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        dir: { type: 'string' },
        snapshots: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...(acceptBreaking ? { 'accept-breaking': { type: 'boolean' as const } } : {}),
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(program, `${(error as Error).message}\n\n${usage}`, 2);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (values.config !== undefined && values.dir !== undefined) {
    fail(program, `--config and --dir both say where the clients are: give one\n\n${usage}`, 2);
  }
  const clientsDir = resolve(values.dir ?? clientsDirOf(program, values.config));
  return {
    clientsDir,
    snapshotsDir:
      values.snapshots === undefined ? defaultSnapshotsDir(clientsDir) : resolve(values.snapshots),
    acceptBreaking: values['accept-breaking'] === true,
  };
}

/** `clients.dir` as the gateway would read it from `file` (like src/cli.ts, no file means defaults). */
function clientsDirOf(program: string, file: string | undefined): string {
  // The schema needs no service, and CI seldom has the URLs a deployment injects: stand-ins keep
  // their absence from failing the load (the real environment still wins when it has them).
  const standIns = Object.fromEntries(
    Object.values(serviceUrlVariables).map((variable) => [variable, 'http://unused.invalid']),
  );
  try {
    const env = file === undefined ? standIns : { ...standIns, ...process.env };
    return loadConfig({ file, env }).config.clients.dir;
  } catch (error) {
    if (error instanceof ConfigError)
      fail(program, `invalid configuration (or pass --dir)\n${error.message}`, 1);
    throw error;
  }
}

/**
 * Every variant against its snapshot, with composing's warnings and the dangerous changes
 * printed; a broken extension (file:line:column) or client folder exits 1.
 */
export async function checkOrExit(program: string, options: SchemaOptions): Promise<SnapshotCheck> {
  let check: SnapshotCheck;
  try {
    check = await checkSnapshots(options.clientsDir, options.snapshotsDir);
  } catch (error) {
    if (error instanceof ClientSchemaError || error instanceof ClientSourceError) {
      fail(program, error.message, 1);
    }
    throw error;
  }
  for (const warning of check.warnings) process.stderr.write(`${program}: warning: ${warning}\n`);
  for (const v of check.variants) {
    for (const change of v.dangerous) process.stderr.write(`${program}: warning: ${v.variant}: ${change}\n`);
  }
  return check;
}
