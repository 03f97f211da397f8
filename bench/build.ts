// Compiles src/ and bench/ to plain JavaScript in the run's temp dir, so every server runs as
// deployed (`node dist/cli.js`), not under tsx: tsx's module hooks cost G real CPU per request
// (Apollo calls `module.require('crypto')` for every operation's hash, through those hooks).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where each entry point landed. */
export interface Build {
  root: string;
  /** Absolute path of a compiled file, from its source path relative to the repository (`src/cli.ts`). */
  file(source: string): string;
}

/** Runs tsc with bench/tsconfig.build.json into `dir`; type errors are reported, not fatal. */
export function buildForBench(repo: string, dir: string, log: (line: string) => void): Build {
  const root = join(dir, 'build');
  // typescript's `exports` hide bin/tsc from require.resolve.
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(repo, 'bench', 'tsconfig.build.json'), '--outDir', root],
    { cwd: repo, encoding: 'utf8' },
  );
  const file = (source: string) => join(root, source.replace(/\.ts$/, '.js'));
  if (!existsSync(file('src/cli.ts')) || !existsSync(file('bench/raw-server.ts'))) {
    throw new Error(`tsc did not compile the sources:\n${result.stdout}${result.stderr}`);
  }
  // Others edit src/ while the bench runs: type errors do not stop tsc from emitting JavaScript.
  if (result.status !== 0) {
    const first = `${result.stdout}${result.stderr}`.split('\n').slice(0, 5).join('\n  ');
    log(`  warning: tsc reported errors (the JavaScript was still emitted):\n  ${first}`);
  }
  // The compiled tree must resolve what the sources resolve: packages, the SDL, ESM.
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  cpSync(join(repo, 'schema'), join(root, 'schema'), { recursive: true });
  cpSync(join(repo, 'proto'), join(root, 'proto'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  return { root, file: (source) => resolve(file(source)) };
}
