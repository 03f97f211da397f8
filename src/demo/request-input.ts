import type { IncomingHttpHeaders } from 'node:http';

/** Thrown by handlers for a 4xx answer; routeRequest turns it into the contract's error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BATCH_IDS = 100;

/** The JSON body, undefined when empty; a 400 when it does not parse. */
export function parseBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

/**
 * The ids of a batch look-up, deduplicated and then reversed: the contract does not promise the
 * requested order, and reversing guarantees that a caller relying on it fails loudly in tests.
 */
export function batchIds(query: Record<string, string>, name: string): string[] {
  const raw = query[name];
  if (raw === undefined) throw new HttpError(400, `missing query parameter ${name}`);
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (ids.length === 0) throw new HttpError(400, `${name} must list at least one id`);
  if (ids.length > MAX_BATCH_IDS) {
    throw new HttpError(400, `${name} lists ${ids.length} ids; at most ${MAX_BATCH_IDS} are allowed`);
  }
  return [...new Set(ids)].reverse();
}

/** An optional integer query parameter within [min, max]. */
export function integerParam(
  query: Record<string, string>,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  const value = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new HttpError(400, `${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** An optional true|false query parameter, false by default. */
export function booleanParam(query: Record<string, string>, name: string): boolean {
  const raw = query[name];
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new HttpError(400, `${name} must be true or false`);
}

/** A header that must be present and non-blank. */
export function requiredHeader(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) throw new HttpError(400, `missing ${name} header`);
  return value;
}
