// Timestamps as the services send them (RFC 3339 strings) and as the schema's DateTime answers
// them (UTC).

// RFC 3339 date-time: a full date, a time, and a zone (Z or ±hh:mm). Date.parse alone would
// accept "2026-11-27" or "Nov 27 2026", which are not timestamps.
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Whether `toUtcTimestamp` would accept the value: the same test without building the UTC string
 * (toISOString is most of its cost), for checks that only need a yes or no.
 */
export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && rfc3339.test(value) && !Number.isNaN(Date.parse(value));
}

/** Normalises an RFC 3339 string to UTC (`2026-11-27T12:00:00Z`), or returns undefined. */
export function toUtcTimestamp(value: unknown): string | undefined {
  if (!isTimestamp(value)) return undefined;
  const iso = new Date(Date.parse(value)).toISOString();
  // Whole seconds print without ".000", as the services and the schema's example do.
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
