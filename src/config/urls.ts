/** The URL forms the schema's `url` annotation accepts. */
export type UrlKind = 'http' | 'http-with-query' | 'redis';

const protocols: Record<UrlKind, readonly string[]> = {
  http: ['http:', 'https:'],
  'http-with-query': ['http:', 'https:'],
  redis: ['redis:', 'rediss:'],
};

/**
 * An absolute URL of the kind's schemes, normalised: an http base URL without query or fragment
 * loses its trailing slashes (paths are appended to it: "http://x/" + "/users" must not double
 * the slash). `invalid` says what it must be instead.
 */
export function checkUrl(kind: UrlKind, value: string): { url: string } | { invalid: string } {
  const allowed = protocols[kind];
  const expected = `be an absolute ${allowed.map((p) => p.slice(0, -1)).join(' or ')} URL`;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return { invalid: expected };
  }
  if (!allowed.includes(parsed.protocol)) return { invalid: expected };
  if (kind !== 'http') return { url: parsed.search !== '' || parsed.hash !== '' ? parsed.href : value };
  if (value.includes('?') || value.includes('#')) return { invalid: `${expected} without query or fragment` };
  return { url: parsed.href.replace(/\/+$/, '') };
}

/** A gRPC target: `host:port` (a name, an IPv4 address or a bracketed IPv6 address). */
export function checkGrpcTarget(value: string): { url: string } | { invalid: string } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65_535) return { invalid: 'be host:port (a gRPC target)' };
  return { url: value };
}
