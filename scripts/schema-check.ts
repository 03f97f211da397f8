// Fails when a schema variant broke what its committed snapshot promised (run in `npm test`).
import { failures } from '../src/clients/snapshot-check.js';
import { display } from '../src/clients/sources.js';
import { checkOrExit, fail, parseSchemaOptions } from './schema-cli.js';

const program = 'schema-check';
const usage = `Usage: npm run schema:check -- [--config FILE | --dir DIR] [--snapshots DIR]

Composes the base schema and every client of clients.dir (from --config FILE, or --dir DIR,
else schema/clients) and compares each with its snapshot in --snapshots DIR (default:
"snapshots" beside the clients folder). Fails (exit 1) on a breaking change, a missing
snapshot or a removed client; safe changes pass with a note. Refresh the snapshots with
npm run schema:snapshot.`;

const options = parseSchemaOptions(program, process.argv.slice(2), usage);
const check = await checkOrExit(program, options);
const failed = failures(check);
if (failed.length > 0) {
  const refresh = check.variants.some((v) => v.status === 'breaking' || v.status === 'removed')
    ? 'if they are intended, acknowledge them with `npm run schema:snapshot -- --accept-breaking` and commit the snapshots'
    : 'run `npm run schema:snapshot` and commit the snapshots';
  fail(program, `${failed.length} problem(s):\n${failed.map((f) => `  ${f}`).join('\n')}\n${refresh}`, 1);
}
const outdated = check.variants.filter((v) => v.status === 'outdated').map((v) => v.variant);
if (outdated.length > 0) {
  process.stdout.write(
    `${program}: safe changes only, but the snapshots of ${outdated.join(', ')} are outdated: run \`npm run schema:snapshot\` and commit them\n`,
  );
}
process.stdout.write(
  `${program}: ${check.variants.length} variant(s) checked against ${display(check.snapshotsDir)}: no breaking changes\n`,
);
