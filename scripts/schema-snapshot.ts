// Writes the snapshots schema:check compares against; breaking changes only when acknowledged.
import { refreshSnapshots } from '../src/clients/snapshot-check.js';
import { checkOrExit, fail, parseSchemaOptions } from './schema-cli.js';

const program = 'schema-snapshot';
const usage = `Usage: npm run schema:snapshot -- [--config FILE | --dir DIR] [--snapshots DIR] [--accept-breaking]

Writes one snapshot per schema variant (base.graphql, <client>.graphql) into --snapshots DIR
(default: "snapshots" beside the clients folder), from clients.dir (--config FILE, or --dir
DIR, else schema/clients). Refuses (exit 1) when a snapshot would change in a breaking way or
a removed client's snapshot would be deleted, unless --accept-breaking acknowledges it.`;

const options = parseSchemaOptions(program, process.argv.slice(2), usage, { acceptBreaking: true });
const check = await checkOrExit(program, options);
const { refused, actions } = await refreshSnapshots(check, { acceptBreaking: options.acceptBreaking });
if (refused.length > 0) {
  fail(
    program,
    `refusing to write snapshots: ${refused.length} breaking change(s):\n${refused.map((r) => `  ${r}`).join('\n')}\nif they are intended, run \`npm run schema:snapshot -- --accept-breaking\``,
    1,
  );
}
for (const action of actions) process.stdout.write(`${program}: ${action}\n`);
