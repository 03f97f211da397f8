// The IDE's browser tests need its bundle: built here when its inputs changed since the last
// build (a no-op after `npm install`, which builds it), so `npx vitest run test/ide.test.ts`
// works on its own too.
import { ensureIdeBuilt } from '../ide/build.js';

export default async function setup() {
  await ensureIdeBuilt();
}
