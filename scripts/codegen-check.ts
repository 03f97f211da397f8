// Fails when src/generated/ is not what `npm run codegen` would write from schema/ (run in `npm test`).
import { readFileSync } from 'node:fs';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';

const { config } = await loadCodegenConfig({ configFilePath: 'codegen.yml' });
const outputs = await generate({ ...config, silent: true }, false);
const stale = outputs.filter((output: { filename: string; content: string }) => {
  let current = '';
  try {
    current = readFileSync(output.filename, 'utf8');
  } catch {
    // missing counts as stale
  }
  return current !== output.content;
});
if (stale.length > 0) {
  process.stderr.write(
    `codegen-check: ${stale.map((o: { filename: string }) => o.filename).join(', ')} is stale: run \`npm run codegen\` and commit the result\n`,
  );
  process.exit(1);
}
process.stdout.write(`codegen-check: ${outputs.length} generated file(s) up to date\n`);
