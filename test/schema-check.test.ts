// schema:check and schema:snapshot: what counts as breaking, and the scripts as CI and a developer
// run them (real child processes against temporary clients folders).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { compareSchemas } from '../src/clients/breaking.js';
import { checkSnapshots, failures, refreshSnapshots } from '../src/clients/snapshot-check.js';
import { readClientSources } from '../src/clients/sources.js';
import { repoRoot } from './helpers/cli.js';
import { writeTempConfig } from './helpers/temp-config.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

interface Workspace {
  clients: string;
  snapshots: string;
  /** Writes `client/file.graphql` → SDL under the clients folder. */
  write(files: Record<string, string>): Promise<void>;
}

/** A temporary `clients/` folder with the given files; snapshots go to `snapshots/` beside it. */
async function workspace(files: Record<string, string>): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'switchboard-schema-check-'));
  roots.push(root);
  const clients = join(root, 'clients');
  const write = async (more: Record<string, string>) => {
    for (const [path, body] of Object.entries(more)) {
      await mkdir(join(clients, path, '..'), { recursive: true });
      await writeFile(join(clients, path), body);
    }
  };
  await mkdir(clients);
  await write(files);
  return { clients, snapshots: join(root, 'snapshots'), write };
}

/** A client that adds `Loyalty` (with `fields`) and `User.loyalty` (with `args`). */
function loyaltyClient(fields: string, args = ''): string {
  return `"A loyalty standing (loyalty service)."
type Loyalty {
${fields}
}

extend type User {
  "The user's loyalty standing."
  loyalty${args}: Loyalty @rest(service: "loyalty", path: "/loyalty/{$parent.id}")
}
`;
}

const loyalty = loyaltyClient('  points: Int\n  tier: String', '(program: String, since: Int!)');

/** `node --import tsx scripts/<script>.ts …args` from the repository root, run to its exit. */
function runScript(
  script: 'schema-check' | 'schema-snapshot',
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('what is breaking', () => {
  const compare = (before: string, after: string) =>
    compareSchemas(buildSchema(`type Query { ${before} }`), buildSchema(`type Query { ${after} }`));

  it('an output made non-null, at any level of a list: its failure would null the parent', () => {
    expect(compare('a: String', 'a: String!').breaking).toEqual([
      'Query.a changed type from String to String! (made non-null: when it fails, its parent is nulled instead).',
    ]);
    expect(compare('a: [String]', 'a: [String!]').breaking).toHaveLength(1);
  });

  it('an output made nullable: graphql-js reports it, once', () => {
    expect(compare('a: String!', 'a: String').breaking).toEqual([
      'Query.a changed type from String! to String.',
    ]);
    // Stricter outside, looser inside: one change, not two.
    expect(compare('a: [String!]', 'a: [String]!').breaking).toHaveLength(1);
  });

  it('an argument or input field made nullable; made non-null graphql-js reports', () => {
    expect(compare('a(x: Int!): Int', 'a(x: Int): Int').breaking).toEqual([
      'Query.a arg x changed type from Int! to Int (made nullable: resolvers may now get null).',
    ]);
    expect(compare('a(x: Int): Int', 'a(x: Int!): Int').breaking).toEqual([
      'Query.a arg x has changed type from Int to Int!.',
    ]);
    const withInput = (field: string) => buildSchema(`input In { ${field} } type Query { a(in: In): Int }`);
    expect(compareSchemas(withInput('x: [ID!]!'), withInput('x: [ID]!')).breaking).toEqual([
      'In.x changed type from [ID!]! to [ID]! (made nullable: resolvers may now get null).',
    ]);
  });

  it('other changes are graphql-js’s: an optional argument is only dangerous, a new field safe', () => {
    expect(compare('a: Int', 'a(x: Int): Int')).toEqual({
      breaking: [],
      dangerous: ['An optional arg x on Query.a was added.'],
    });
    expect(compare('a: Int', 'a: Int b: Int')).toEqual({ breaking: [], dangerous: [] });
  });
});

describe('checking variants against their snapshots', () => {
  it('a variant without a snapshot fails; once written, the check passes', async () => {
    const ws = await workspace({ 'mobile/loyalty.graphql': loyalty, 'empty/.keep': '' });
    expect(failures(await checkSnapshots(ws.clients, ws.snapshots))).toEqual([
      'no snapshot for the base schema: run npm run schema:snapshot',
      'no snapshot for client empty: run npm run schema:snapshot',
      'no snapshot for client mobile: run npm run schema:snapshot',
    ]);
    await refreshSnapshots(await checkSnapshots(ws.clients, ws.snapshots), { acceptBreaking: false });
    const check = await checkSnapshots(ws.clients, ws.snapshots);
    expect(check.variants.map((v) => [v.variant, v.status])).toEqual([
      ['base', 'current'],
      ['empty', 'current'],
      ['mobile', 'current'],
    ]);
    // A folder without definitions serves the base schema: the same snapshot but its header's
    // second line (the first is Biome's: snapshots stay as graphql-js printed them).
    const [base = '', empty = ''] = await Promise.all(
      ['base', 'empty'].map((v) => readFile(join(ws.snapshots, `${v}.graphql`), 'utf8')),
    );
    expect(empty.split('\n').slice(2)).toEqual(base.split('\n').slice(2));
    expect(base).toMatch(
      /^# biome-ignore-all format: .*\n# Schema snapshot of the base schema.*\n# Generated by `npm run schema:snapshot`.*Do not edit by hand\.\n/,
    );
    expect(base.endsWith('}\n')).toBe(true);
  });

  it('the snapshot does not depend on the order of definitions or files', async () => {
    const ws = await workspace({ 'mobile/loyalty.graphql': loyalty });
    await refreshSnapshots(await checkSnapshots(ws.clients, ws.snapshots), { acceptBreaking: false });
    const [types, user] = loyalty.split('\nextend');
    await rm(join(ws.clients, 'mobile/loyalty.graphql'));
    await ws.write({ 'mobile/a.graphql': `extend${user}`, 'mobile/b.graphql': types ?? '' });
    const check = await checkSnapshots(ws.clients, ws.snapshots);
    expect(check.variants.map((v) => v.status)).toEqual(['current', 'current']);
  });

  it('a removed client and a snapshot that is not SDL are breaking', async () => {
    const ws = await workspace({ 'mobile/loyalty.graphql': loyalty });
    await refreshSnapshots(await checkSnapshots(ws.clients, ws.snapshots), { acceptBreaking: false });
    await rm(join(ws.clients, 'mobile'), { recursive: true });
    await writeFile(join(ws.snapshots, 'base.graphql'), 'type Query {');
    const problems = failures(await checkSnapshots(ws.clients, ws.snapshots));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^base: .*base\.graphql is not a valid schema: Syntax Error/);
    expect(problems[1]).toMatch(/^mobile: the client was removed \(no folder mobile in clients\.dir/);
  });

  it('a client folder named base is refused, in any case: its snapshot name is taken', async () => {
    for (const name of ['base', 'Base']) {
      const ws = await workspace({ [`${name}/x.graphql`]: loyalty });
      await expect(readClientSources(ws.clients)).rejects.toThrow(
        `${join(ws.clients, name)}: "base" is reserved for the base schema (its snapshot is base.graphql): rename the folder`,
      );
    }
  });
});

// The scripts themselves, as CI and a developer run them: concurrent, as each tsx start-up costs
// ~1.5 s; up to three in a row, on a machine busy with other test files, need more than 20 s.
describe.concurrent('npm run schema:snapshot and schema:check', { timeout: 60_000 }, () => {
  it('snapshot from --config, then an added field passes with a note that the snapshot is outdated', async () => {
    const ws = await workspace({ 'mobile/loyalty.graphql': loyalty });
    const config = await writeTempConfig(`clients: { dir: ${JSON.stringify(ws.clients)} }\n`);
    try {
      const snapshot = await runScript('schema-snapshot', ['--config', config.file]);
      expect(snapshot.stderr).toBe('');
      expect(snapshot.stdout).toBe(
        `schema-snapshot: wrote ${join(ws.snapshots, 'base.graphql')} (new)\n` +
          `schema-snapshot: wrote ${join(ws.snapshots, 'mobile.graphql')} (new)\n`,
      );
      expect(snapshot.code).toBe(0);
    } finally {
      await config.remove();
    }
    await ws.write({
      'mobile/loyalty.graphql': loyaltyClient(
        '  points: Int\n  tier: String\n  "New."\n  since: DateTime',
        '(program: String, since: Int!)',
      ),
    });
    const check = await runScript('schema-check', ['--dir', ws.clients]);
    expect(check.stderr).toBe('');
    expect(check.stdout).toContain(
      'safe changes only, but the snapshots of mobile are outdated: run `npm run schema:snapshot`',
    );
    expect(check.code).toBe(0);
  });

  it('breaking changes fail the check, each named; snapshot refuses them until --accept-breaking', async () => {
    const ws = await workspace({
      'removed/l.graphql': loyalty,
      'stricter/l.graphql': loyalty,
      'argtype/l.graphql': loyalty,
      'requiredarg/l.graphql': loyalty,
      'looser/l.graphql': loyalty,
      'gone/l.graphql': loyalty,
    });
    await refreshSnapshots(await checkSnapshots(ws.clients, ws.snapshots), { acceptBreaking: false });
    await rm(join(ws.clients, 'gone'), { recursive: true });
    await ws.write({
      'removed/l.graphql': loyaltyClient('  points: Int', '(program: String, since: Int!)'),
      'stricter/l.graphql': loyaltyClient('  points: Int!\n  tier: String', '(program: String, since: Int!)'),
      'argtype/l.graphql': loyaltyClient('  points: Int\n  tier: String', '(program: Int, since: Int!)'),
      'requiredarg/l.graphql': loyaltyClient(
        '  points: Int\n  tier: String',
        '(program: String, since: Int!, region: String!)',
      ),
      'looser/l.graphql': loyaltyClient('  points: Int\n  tier: String', '(program: String, since: Int)'),
    });
    const expected = [
      'argtype: User.loyalty arg program has changed type from String to Int.',
      'gone: the client was removed',
      'looser: User.loyalty arg since changed type from Int! to Int (made nullable',
      'removed: Loyalty.tier was removed.',
      'requiredarg: A required arg region on User.loyalty was added.',
      'stricter: Loyalty.points changed type from Int to Int! (made non-null',
    ];
    const before = await readFile(join(ws.snapshots, 'stricter.graphql'), 'utf8');

    const check = await runScript('schema-check', ['--dir', ws.clients, '--snapshots', ws.snapshots]);
    for (const line of expected) expect(check.stderr).toContain(`\n  ${line}`);
    expect(check.stderr).toContain('npm run schema:snapshot -- --accept-breaking');
    expect(check.code).toBe(1);

    const refused = await runScript('schema-snapshot', ['--dir', ws.clients]);
    expect(refused.stderr).toMatch(
      /^schema-snapshot: refusing to write snapshots: 6 breaking change\(s\):\n/,
    );
    for (const line of expected) expect(refused.stderr).toContain(`\n  ${line}`);
    expect(refused.stdout).toBe('');
    expect(refused.code).toBe(1);
    expect(await readFile(join(ws.snapshots, 'stricter.graphql'), 'utf8')).toBe(before);

    const accepted = await runScript('schema-snapshot', ['--dir', ws.clients, '--accept-breaking']);
    expect(accepted.stdout).toContain(
      `wrote ${join(ws.snapshots, 'stricter.graphql')} (breaking changes accepted)`,
    );
    expect(accepted.stdout).toContain(
      `removed ${join(ws.snapshots, 'gone.graphql')} (client gone no longer exists)`,
    );
    expect(accepted.stdout).toContain(`kept ${join(ws.snapshots, 'base.graphql')} (up to date)`);
    expect(accepted.code).toBe(0);
    const after = await checkSnapshots(ws.clients, ws.snapshots);
    expect(failures(after)).toEqual([]);
    expect(after.variants.every((v) => v.status === 'current')).toBe(true);
  });

  it('a broken extension fails naming its file and line; a missing snapshot fails', async () => {
    const broken = await workspace({
      'mobile/badge.graphql': 'extend type User {\n  "x"\n  badge: Badge\n}\n',
    });
    const fresh = await workspace({ 'mobile/loyalty.graphql': loyalty });
    const [bad, missing] = await Promise.all([
      runScript('schema-check', ['--dir', broken.clients]),
      runScript('schema-check', ['--dir', fresh.clients]),
    ]);
    expect(bad.stderr).toContain(
      `${join(broken.clients, 'mobile', 'badge.graphql')}:3:10: Unknown type "Badge".`,
    );
    expect(bad.code).toBe(1);
    expect(missing.stderr).toContain('no snapshot for client mobile: run npm run schema:snapshot');
    expect(missing.code).toBe(1);
  });

  it('bad flags exit 2 with the usage', async () => {
    const [unknown, both] = await Promise.all([
      runScript('schema-check', ['--accept-breaking']),
      runScript('schema-snapshot', ['--dir', 'a', '--config', 'b']),
    ]);
    expect(unknown.stderr).toContain("Unknown option '--accept-breaking'");
    expect(unknown.stderr).toContain('Usage: npm run schema:check --');
    expect(unknown.code).toBe(2);
    expect(both.stderr).toContain('--config and --dir both say where the clients are: give one');
    expect(both.stderr).toContain('Usage: npm run schema:snapshot --');
    expect(both.code).toBe(2);
  });
});
