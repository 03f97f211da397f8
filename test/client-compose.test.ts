// Composing client extensions at start-up: what a broken one says (file, line, column) and that
// the gateway refuses to start with it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientSchemaError } from '../src/clients/compose.js';
import { display } from '../src/clients/sources.js';
import { composeVariants } from '../src/clients/variants.js';
import { startDemoServices } from '../src/demo/services.js';
import { createSchemaFacts } from '../src/operation/schema-facts.js';
import { runCli } from './helpers/cli.js';
import { gatewayEnv } from './helpers/stack.js';
import { writeTempConfig } from './helpers/temp-config.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A clients.dir with the given files (`client/file.graphql` → SDL). */
async function clientsDir(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'switchboard-compose-'));
  roots.push(root);
  for (const [path, body] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), body);
  }
  return root;
}

/** The problems composing `sdl` as client `c` reports, each `file:line:col: message`. */
async function problemsOf(sdl: string): Promise<{ file: string; problems: string[] }> {
  const dir = await clientsDir({ 'c/ext.graphql': sdl });
  const file = display(join(dir, 'c', 'ext.graphql'));
  try {
    await composeVariants(dir, () => true);
  } catch (error) {
    expect(error).toBeInstanceOf(ClientSchemaError);
    return { file, problems: (error as ClientSchemaError).problems };
  }
  return { file, problems: [] };
}

describe('a broken extension is reported with its file, line and column', () => {
  it('an unknown type', async () => {
    const { file, problems } = await problemsOf('extend type User {\n  "x"\n  badge: Badge\n}\n');
    expect(problems).toEqual([`${file}:3:10: Unknown type "Badge".`]);
  });

  it('a field the base already has', async () => {
    const { file, problems } = await problemsOf('extend type User {\n  name: String\n}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^${escapeRegExp(file)}:2:3: Field "User.name" already exists in the schema\\. It cannot also be defined in this type extension\\.$`,
      ),
    );
  });

  it('extending a type that does not exist', async () => {
    const { file, problems } = await problemsOf('\nextend type Basket { total: Int }\n');
    expect(problems[0]).toMatch(
      new RegExp(`^${escapeRegExp(file)}:2:13: Cannot extend type "Basket" because it is not defined`),
    );
  });

  it('a syntax error', async () => {
    const { file, problems } = await problemsOf('extend type User {\n  loyalty: \n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${escapeRegExp(file)}:3:1: Syntax Error`));
  });

  it('what an extension may not hold: operations, scalars, directives, writes, root fields without @rest', async () => {
    const { file, problems } = await problemsOf(
      [
        'query Q { me { id } }',
        'scalar Money2',
        'directive @mine on FIELD_DEFINITION',
        'extend type Mutation { "x" wipe: Boolean @rest(service: "users", path: "/wipe") }',
        'extend type Query { "x" hello: String }',
      ].join('\n'),
    );
    expect(problems).toEqual([
      `${file}:1:1: a client extension holds type definitions and \`extend type …\` only, not operations`,
      `${file}:2:1: a client extension cannot define scalars (they need code): use an existing scalar`,
      `${file}:3:1: a client extension cannot define directives (they need code)`,
    ]);
    const roots = await problemsOf(
      'extend type Mutation { "x" wipe: Boolean @rest(service: "users", path: "/wipe") }\nextend type Query { "x" hello: String }',
    );
    expect(roots.problems).toEqual([
      `${roots.file}:1:24: Mutation.wipe: client extensions add reads only; a Mutation field needs code`,
      `${roots.file}:2:21: Query.hello needs @rest: a root field has no parent to read from`,
    ]);
  });

  it('malformed @rest declarations, each named', async () => {
    const { file, problems } = await problemsOf(
      [
        'extend type Query {',
        '  a(id: ID!): String @rest(service: "users", path: "users/{$args.id}")',
        '  b(id: ID!): String @rest(service: "users", path: "/users/{$args.nope}")',
        '  c: String @rest(service: "users", path: "/users/{$parent.id}")',
        '  d: String @rest(service: "Users!", path: "/x")',
        '  e: String @rest(service: "users", path: "/x", select: "a..b")',
        '  f: String @rest(service: "users", path: "/x", timeoutMs: 0)',
        '  g: String @rest(service: "users", path: "/x/{id}")',
        '}',
        'extend type Product {',
        '  h: String @rest(service: "inventory", path: "/s", batch: { param: "ids", key: "id", from: "$args.id" })',
        '  i: String @rest(service: "inventory", path: "/s", batch: { param: "ids", key: "id", from: "$parent.id", maxSize: 0 })',
        '}',
      ].join('\n'),
    );
    expect(problems).toEqual([
      `${file}:2:3: @rest on Query.a: path "users/{$args.id}" must start with "/"`,
      `${file}:3:3: @rest on Query.b: {$args.nope} names no argument of the field`,
      `${file}:4:3: @rest on Query.c: {$parent.id}: a Query field has no parent`,
      `${file}:5:3: @rest on Query.d: service "Users!" is not a valid upstream name`,
      `${file}:6:3: @rest on Query.e: select "a..b" must be a dot path like data.items`,
      `${file}:7:3: @rest on Query.f: timeoutMs must be between 1 and 600000`,
      `${file}:8:3: @rest on Query.g: placeholder "{id}" in path must be {$parent.field} or {$args.name}`,
      `${file}:11:3: @rest on Product.h: batch.from "$args.id" must be $parent.field`,
      `${file}:12:3: @rest on Product.i: batch.maxSize must be between 1 and 1000`,
    ]);
  });

  it("a client's files see each other's types; two files defining one type conflict", async () => {
    const ok = await clientsDir({
      'm/a.graphql': '"x"\ntype Badge { "x" label: String! }\n',
      'm/b.graphql': 'extend type User { "x" badge: Badge }\n',
    });
    const composed = await composeVariants(ok, () => true);
    expect(composed.clients.map((c) => c.name)).toEqual(['m']);
    expect(composed.clients[0]!.schema.getType('Badge')).toBeDefined();

    const twice = await clientsDir({
      'm/a.graphql': 'type Badge { label: String! }\n',
      'm/b.graphql': 'type Badge { label: String! }\n',
    });
    await expect(composeVariants(twice, () => true)).rejects.toThrow(
      /a\.graphql:1:6: There can be only one type named "Badge"\. \(see also \S+b\.graphql:1:6\)/,
    );
  });

  it('one client is composed apart from the others: mobile cannot see partner types', async () => {
    const dir = await clientsDir({
      'partner/a.graphql': '"x"\ntype Stock { "x" n: Int }\n',
      'mobile/a.graphql': 'extend type Product { "x" stock: Stock }\n',
    });
    await expect(composeVariants(dir, () => true)).rejects.toThrow(
      /mobile[/\\]a\.graphql:1:34: Unknown type "Stock"/,
    );
  });

  it('a missing clients.dir is a warning; a folder no client can be named is an error', async () => {
    const missing = await composeVariants(join(tmpdir(), 'switchboard-no-such-dir'), () => true);
    expect(missing.clients).toEqual([]);
    expect(missing.warnings[0]).toMatch(/does not exist: every client gets the base schema/);
    const bad = await clientsDir({ 'web app/a.graphql': 'extend type User { "x" n: Int }\n' });
    await expect(composeVariants(bad, () => true)).rejects.toThrow(/a client folder's name must be/);
  });
});

describe('the cost model', () => {
  it('counts a scalar @rest field as one upstream call, like an object field', async () => {
    const dir = await clientsDir({
      'p/a.graphql':
        'extend type Product { "x" stockCount: Int @rest(service: "inventory", path: "/stock/{$parent.id}") "y" label: String }\n',
    });
    const { clients } = await composeVariants(dir, () => true);
    const model = createSchemaFacts(clients[0]!.schema);
    expect(model.weightOf('Product', 'stockCount')).toBe(1);
    expect(model.weightOf('Product', 'label')).toBeUndefined();
  });
});

describe('the gateway refuses to start with a broken extension', () => {
  it('exits 1 naming the file and line, before listening', async () => {
    const dir = await clientsDir({
      'mobile/dashboard.graphql': '\nextend type Dashboard {\n  "x"\n  summary: Summary\n}\n',
    });
    const services = await startDemoServices({});
    const config = await writeTempConfig(`clients: { dir: ${JSON.stringify(dir)} }\n`);
    try {
      const result = await runCli(['--config', config.file], gatewayEnv(services), 20_000);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('The schema of client "mobile" is invalid');
      expect(result.stderr).toMatch(/mobile[/\\]dashboard\.graphql:4:12: Unknown type "Summary"/);
      expect(result.stdout).not.toContain('switchboard is ready');
    } finally {
      await config.remove();
      await services.close();
    }
  });
});
