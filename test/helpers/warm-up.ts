// The first request of a fresh gateway pays for connections and first-use compilation; on a
// loaded machine that can exceed a test's short upstream timeout. Warm up before measuring.
import { expect } from 'vitest';
import type { Stack } from './stack.js';

/** Sends `query` until it is answered without errors (at most `attempts` times). */
export async function warmUp(stack: Stack, query: string, token?: string, attempts = 5): Promise<void> {
  let errors: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const answer = await stack.graphql(query, token === undefined ? {} : { token });
    errors = answer.body.errors;
    if (answer.status === 200 && errors === undefined) return;
  }
  expect(errors, 'the stack never answered the warm-up query cleanly').toBeUndefined();
}
