/**
 * `@rest` path templates: `/loyalty/{$parent.id}?currency={$args.currency}`. Compiled once at
 * start-up; rendering is a join over the parts, with each value URL-encoded.
 */
import { isSegment } from '../../upstream/path.js';

/** Where a placeholder's value comes from. */
export interface Placeholder {
  source: 'parent' | 'args';
  /** Field names, outermost first (`$parent.price.currency` → ['price', 'currency']). */
  path: string[];
  /** The placeholder as written, for error messages. */
  text: string;
}

export interface PathTemplate {
  parts: (string | Placeholder)[];
  placeholders: Placeholder[];
}

const placeholderPattern = /\{([^{}]*)\}/g;
const referencePattern = /^\$(parent|args)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/;

/** Parses `$parent.a.b` / `$args.x`; undefined when it is neither. */
export function parseReference(text: string): Placeholder | undefined {
  const match = referencePattern.exec(text.trim());
  if (!match) return undefined;
  return { source: match[1] as Placeholder['source'], path: match[2]!.slice(1).split('.'), text };
}

/** Throws with a message naming the bad part; the caller adds file and line. */
export function compileTemplate(template: string): PathTemplate {
  if (!template.startsWith('/')) throw new Error(`path "${template}" must start with "/"`);
  if (/[#\s]/.test(template)) throw new Error(`path "${template}" must not contain whitespace or "#"`);
  const parts: (string | Placeholder)[] = [];
  const placeholders: Placeholder[] = [];
  let last = 0;
  for (const match of template.matchAll(placeholderPattern)) {
    const reference = parseReference(match[1]!);
    if (!reference) {
      throw new Error(`placeholder "${match[0]}" in path must be {$parent.field} or {$args.name}`);
    }
    if (match.index > last) parts.push(template.slice(last, match.index));
    parts.push(reference);
    placeholders.push(reference);
    last = match.index + match[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  const literal = parts.filter((part): part is string => typeof part === 'string').join('');
  if (literal.includes('{') || literal.includes('}'))
    throw new Error(`path "${template}" has an unclosed "{"`);
  return { parts, placeholders };
}

/** The value at `path` in `root`, or undefined when any step is missing. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const name of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** A placeholder's value as URL text: scalars encoded, lists comma-joined; undefined when unusable. */
export function encodeValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(encodeValue);
    return items.every((item) => item !== undefined) ? items.join(',') : undefined;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return encodeURIComponent(String(value));
  }
  // Objects (input objects, JSON) have no single URL form: the call is not made.
  return undefined;
}

/**
 * What rendering gave: the path; `missing` when a placeholder has no value (the field is then
 * null, with no call); `unsafe` when a value would change the request's shape: a value is one
 * value, whatever it holds.
 */
export type Rendered =
  | { kind: 'ok'; path: string }
  | { kind: 'missing' }
  | { kind: 'unsafe'; placeholder: Placeholder; reason: string };

/**
 * Renders the template. Ids are ids: in the query, where the services read comma-separated
 * lists, a value holding a comma would become several ids (a JWT `sub` of "u2,u1" would fetch
 * u1's data), so it is refused; a list argument's items are joined with commas, and each must
 * hold none. In the path, a value that is `.` or `..` would climb a segment, so it is refused
 * (every other character is percent-encoded, `/` included).
 */
export function renderTemplate(template: PathTemplate, parent: unknown, args: unknown): Rendered {
  let out = '';
  let inQuery = false;
  for (const part of template.parts) {
    if (typeof part === 'string') {
      out += part;
      inQuery ||= part.includes('?');
      continue;
    }
    const value = valueAt(part.source === 'parent' ? parent : args, part.path);
    const items = Array.isArray(value) ? value : [value];
    if (inQuery && items.some((item) => typeof item === 'string' && item.includes(','))) {
      return { kind: 'unsafe', placeholder: part, reason: 'must not contain a comma (it separates ids)' };
    }
    const encoded = encodeValue(value);
    if (encoded === undefined) return { kind: 'missing' };
    if (!inQuery && !isSegment(encoded)) {
      return { kind: 'unsafe', placeholder: part, reason: 'must be a path segment, not "", "." or ".."' };
    }
    out += encoded;
  }
  return { kind: 'ok', path: out };
}

/** Splits a rendered `/path?a=1&b=2` into the client's already-encoded path and decoded query. */
export function splitPath(rendered: string): { path: string; query: Record<string, string> } {
  const at = rendered.indexOf('?');
  if (at < 0) return { path: rendered, query: {} };
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rendered.slice(at + 1))) query[name] = value;
  return { path: rendered.slice(0, at), query };
}
