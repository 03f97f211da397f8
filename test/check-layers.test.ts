// The layering check itself: it must catch an import that goes up, and a folder it does not know.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { layerViolations } from '../scripts/check-layers.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function tree(files: Record<string, string>): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('check-layers', () => {
  it('passes on this repository', async () => {
    expect(await layerViolations(resolve('src'))).toEqual([]);
  });

  it('accepts imports downwards, and within a folder', async () => {
    const src = await tree({
      'upstream/client.ts': "import { x } from '../config/types.js';\nimport { y } from './types.js';",
      'upstream/types.ts': '',
      'config/types.ts': "import { ErrorCode } from '../errors.js';",
      'errors.ts': '',
    });
    expect(await layerViolations(src)).toEqual([]);
  });

  it('refuses an import upwards, naming the file and the import', async () => {
    const src = await tree({
      'upstream/client.ts': "import type { GatewayMetrics } from '../metrics/metrics.js';",
      'metrics/metrics.ts': '',
    });
    const problems = await layerViolations(src);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /upstream\/client\.ts: upstream imports metrics \(\.\.\/metrics\/metrics\.js\)/,
    );
  });

  it('refuses a folder that is in no layer', async () => {
    const src = await tree({ 'misc/helper.ts': "import { x } from '../errors.js';", 'errors.ts': '' });
    expect(await layerViolations(src)).toEqual([expect.stringMatching(/"misc" is in no layer/)]);
  });
});
