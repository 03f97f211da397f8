import type { IncomingHttpHeaders } from 'node:http';
import { hopByHopHeaders } from '../config/schema.js';

/**
 * The caller's own headers a proxied request passes on, beside the identity's allow-list
 * (`x-request-id`, `traceparent`, `x-client-name`, `x-user-id`, `x-user-role`, which the upstream
 * client builds from the verified identity): content negotiation, the body's description and
 * conditional requests. Never `authorization` or `cookie`, nor anything else the caller sent.
 */
const passedOn = [
  'accept',
  'accept-encoding',
  'content-type',
  'content-length',
  'if-none-match',
  'if-modified-since',
] as const;

/** The caller's headers that go upstream (before the transforms). */
export function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name of passedOn) {
    const value = headers[name];
    if (typeof value === 'string') forwarded[name] = value;
  }
  return forwarded;
}

// Hop-by-hop headers describe one connection, not the answer: never passed on. The body is
// passed on byte for byte, so its content-length stays true and goes with it.
const hopByHop: ReadonlySet<string> = new Set(hopByHopHeaders.filter((name) => name !== 'content-length'));

/**
 * A service's response headers without the hop-by-hop ones: those RFC 9110 names, and those its
 * `connection` header lists (§7.6.1).
 */
export function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const connection = headers.connection;
  const listed = new Set(
    (Array.isArray(connection) ? connection.join(',') : (connection ?? ''))
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ''),
  );
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || listed.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}
