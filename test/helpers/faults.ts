// Fault clean-up for end-to-end tests: a cleared `refuse` fault re-listens asynchronously, so
// the next test must wait for the port to answer again or it would see ECONNREFUSED by chance.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoServices } from '../../src/demo/services.js';

/** Clears every service's fault and resolves once every server answers /health again. */
export async function clearFaults(services: DemoServices): Promise<void> {
  for (const server of services.servers()) server.setFault(null);
  await Promise.all(services.servers().map((server) => waitUntilAnswering(server.url)));
}

async function waitUntilAnswering(url: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // still refusing
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer /health within ${timeoutMs} ms`);
    await sleep(10);
  }
}
