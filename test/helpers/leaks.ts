// What a client must never learn from an error: where the services live, the gateway's stack,
// or what a broken service actually sent.
import { expect } from 'vitest';
import type { DemoServices } from '../../src/demo/services.js';

/** Fragments of the bodies the demo faults answer with (src/demo/faults.ts). */
export const rawFaultBodies = [
  'injected failure',
  '{"id": ',
  '<!DOCTYPE',
  'Bad Gateway',
  'Ada Lovel',
  'filler',
];

/** Asserts that no error message or extension names a service address, a stack or a raw body. */
export function expectNoLeaks(errors: unknown, services: DemoServices): void {
  const text = JSON.stringify(errors ?? []);
  const ports = services
    .servers()
    .map((server) => new URL(server.url).port)
    .filter((port) => port !== '');
  for (const needle of ['127.0.0.1', 'localhost', '    at ', '\\n    at ', 'stacktrace', ...rawFaultBodies]) {
    expect(text, `an error contains ${JSON.stringify(needle)}`).not.toContain(needle);
  }
  for (const port of ports) {
    expect(text, `an error names port ${port}`).not.toMatch(new RegExp(`\\b${port}\\b`));
  }
}
