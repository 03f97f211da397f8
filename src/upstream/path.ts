/**
 * Ids are ids: a value placed in an upstream path is one encoded segment. Encoding keeps `/`,
 * `?` and `#` from changing the request, but leaves `.` and `..` as they are, and a segment of
 * those would climb the service's path (`/notifications/../read`): they, and the empty
 * segment, are refused. Undefined when the value cannot be one segment.
 */
export function pathSegment(value: string): string | undefined {
  const encoded = encodeURIComponent(value);
  return isSegment(encoded) ? encoded : undefined;
}

/** Whether already-encoded text is a segment that names something rather than moves. */
export function isSegment(encoded: string): boolean {
  return encoded !== '' && encoded !== '.' && encoded !== '..';
}
