import { unresolved } from './interpolate.js';
import { defaultTiers, gatewaySchema } from './schema.js';
import {
  type BoolNode,
  type DefaultContext,
  type IntNode,
  isRecord,
  itemPath,
  keyPath,
  type ListNode,
  type MapNode,
  type NumberNode,
  type ObjectNode,
  type SchemaNode,
  type StringNode,
} from './schema-nodes.js';
import type { GatewayConfig } from './types.js';

/** What validation reads besides the raw config, and where it reports. */
export interface ValidationContext {
  /** Path -> the variable(s) its value came from; such strings may stand for numbers and booleans. */
  sources: ReadonlyMap<string, string>;
  /** Path -> the unset variable that made the key not given. */
  unset: ReadonlyMap<string, string>;
  errors: string[];
  warnings: string[];
}

interface Walk extends ValidationContext, DefaultContext {}

/** Marks a value that failed validation (already reported), so later rules do not pile on. */
const invalid = Symbol('invalid');

/**
 * Checks the raw config against gatewaySchema and fills in every default. Problems are appended to
 * `context.errors`; the result is only a GatewayConfig when no error was added.
 */
export function validateConfig(raw: Record<string, unknown>, context: ValidationContext): GatewayConfig {
  // Defaults of introspection and sandbox depend on `production`, so settle it first (quietly: the
  // full walk below reports any problem with it).
  const quiet = { ...context, errors: [], warnings: [], production: false };
  const production =
    walk(gatewaySchema.fields.production, raw.production, 'production', false, quiet) === true;
  // The table is typed SchemaOf<GatewayConfig>, so a walk without errors yields exactly that shape.
  const config = walk(gatewaySchema, raw, '', false, { ...context, production }) as GatewayConfig;
  checkCrossKeyRules(config, context.errors);
  return config;
}

function walk(node: SchemaNode, value: unknown, path: string, inSecret: boolean, w: Walk): unknown {
  const secret = inSecret || node.secret === true;
  if (value === unresolved) return invalid;
  if (value === undefined) return whenMissing(node, path, secret, w);
  switch (node.kind) {
    case 'object':
      return walkObject(node, value, path, secret, w);
    case 'map':
      return walkMap(node, value, path, secret, w);
    case 'list':
      return walkList(node, value, path, secret, w);
    case 'int':
      return walkInt(node, value, path, secret, w);
    case 'number':
      return walkNumber(node, value, path, secret, w);
    case 'bool':
      return walkBool(node, value, path, secret, w);
    case 'string':
      return walkString(node, value, path, secret, w);
  }
}

function whenMissing(node: SchemaNode, path: string, secret: boolean, w: Walk): unknown {
  if (node.required !== undefined) {
    w.errors.push(node.required === true ? `${path} is required` : node.required(path));
    return invalid;
  }
  switch (node.kind) {
    // Walking an empty mapping fills in the defaults below it.
    case 'object':
      return walkObject(node, {}, path, secret, w);
    case 'map':
      return walkMap(node, structuredClone(node.default ?? {}), path, secret, w);
    case 'list':
      return node.default === undefined ? undefined : [...node.default];
    case 'bool':
      return typeof node.default === 'function' ? node.default(w) : node.default;
    default:
      return node.default;
  }
}

function walkObject(node: ObjectNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  if (!isRecord(value)) return wrongType(path, 'a mapping', value, secret, w);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (node.fields[key] !== undefined) continue;
    const known = Object.keys(node.fields);
    const guess = closest(key, known);
    const hint =
      guess === undefined ? `known keys: ${known.join(', ')}` : `did you mean ${keyPath(path, guess)}?`;
    w.errors.push(`${keyPath(path, key)} is not a known key (${hint})`);
  }
  for (const [key, field] of Object.entries(node.fields)) {
    const result = walk(field, value[key], keyPath(path, key), secret, w);
    if (result !== undefined) out[key] = result;
  }
  return out;
}

function walkMap(node: MapNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  if (!isRecord(value)) return wrongType(path, 'a mapping', value, secret, w);
  const out: Record<string, unknown> = {};
  const keys = [...new Set([...Object.keys(value), ...(node.requiredKeys ?? [])])];
  for (const key of keys) {
    if (node.keyPattern !== undefined && !node.keyPattern.test(key)) {
      w.errors.push(
        `${keyPath(path, key)} is not a valid name: ${node.keyHint ?? `match ${node.keyPattern}`}`,
      );
      continue;
    }
    out[key] = walk(node.value, value[key], keyPath(path, key), secret, w);
  }
  return out;
}

function walkList(node: ListNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  if (!Array.isArray(value)) return wrongType(path, 'a list', value, secret, w);
  if (node.minItems !== undefined && value.length < node.minItems) {
    w.errors.push(
      `${label(path, w)} must have at least ${node.minItems} ${node.minItems === 1 ? 'entry' : 'entries'}`,
    );
    return invalid;
  }
  const out: unknown[] = [];
  value.forEach((entry, index) => {
    const entryPath = itemPath(path, index);
    const skipField = node.skipItemWhenUnset;
    if (skipField !== undefined && isRecord(entry) && entry[skipField] === undefined) {
      // An API key listed as ${WEB_API_KEY} is simply switched off where that variable is not set.
      const unsetVariable = w.unset.get(keyPath(entryPath, skipField));
      if (unsetVariable !== undefined) {
        w.warnings.push(
          `${entryPath} skipped: its ${skipField} comes from \${${unsetVariable}}, which is not set`,
        );
        return;
      }
    }
    out.push(walk(node.item, entry, entryPath, secret, w));
  });
  return out;
}

function walkInt(node: IntNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  // Environment variables are text: "4000" from PORT or ${PORT} stands for the number.
  const number =
    typeof value === 'string' && w.sources.has(path) && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    return wrongType(path, 'an integer', value, secret, w);
  }
  return inRange(node, number, path, secret, w);
}

function walkNumber(node: NumberNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  const number =
    typeof value === 'string' && w.sources.has(path) && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    return wrongType(path, 'a number', value, secret, w);
  }
  return inRange(node, number, path, secret, w);
}

/** The number when it lies within the node's bounds, else an error naming the key and the range. */
function inRange(
  node: { min: number; max?: number },
  number: number,
  path: string,
  secret: boolean,
  w: Walk,
): unknown {
  const { min, max } = node;
  if (number < min || (max !== undefined && number > max)) {
    const range = max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
    w.errors.push(`${label(path, w)} must be ${range}${secret ? '' : `, received ${number}`}`);
    return invalid;
  }
  return number;
}

function walkBool(_node: BoolNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  const fromText = typeof value === 'string' && w.sources.has(path);
  const bool = fromText && (value === 'true' || value === 'false') ? value === 'true' : value;
  if (typeof bool !== 'boolean') return wrongType(path, 'a boolean (true or false)', value, secret, w);
  return bool;
}

function walkString(node: StringNode, value: unknown, path: string, secret: boolean, w: Walk): unknown {
  if (typeof value !== 'string') return wrongType(path, 'a string', value, secret, w);
  const fail = (problem: string): typeof invalid => {
    w.errors.push(
      `${label(path, w)} must ${problem}${secret ? '' : `, received ${JSON.stringify(clip(value))}`}`,
    );
    return invalid;
  };
  const minLength = node.minLength ?? 1;
  if (value.length < minLength)
    return fail(minLength === 1 ? 'not be empty' : `be at least ${minLength} characters`);
  if (node.oneOf !== undefined && !node.oneOf.includes(value))
    return fail(`be one of ${node.oneOf.join(', ')}`);
  if (node.pattern !== undefined && !node.pattern.test(value))
    return fail(node.patternHint ?? `match ${node.pattern}`);
  if (node.normalize === undefined) return value;
  const normalized = node.normalize(value);
  return typeof normalized === 'string' ? normalized : fail(normalized.invalid);
}

/** Rules that involve several keys, run on the walked (defaults filled) config. */
function checkCrossKeyRules(config: GatewayConfig, errors: string[]): void {
  const { rateLimits, redis, auth } = config;
  if (isRecord(rateLimits?.tiers) && rateLimits.tiers.anonymous === undefined) {
    // Callers without an API key always land in `anonymous`, so it must exist whatever else is given.
    rateLimits.tiers.anonymous = { ...defaultTiers.anonymous! };
  }
  if (isRecord(rateLimits) && rateLimits.store === undefined) {
    // REDIS_URL means "several instances share limits": use it unless the config says memory.
    rateLimits.store = isRecord(redis) && redis.url !== undefined ? 'redis' : 'memory';
  }
  if (rateLimits?.store === 'redis' && isRecord(redis) && redis.url === undefined) {
    errors.push(
      'redis.url is required when rateLimits.store is redis: set it in the config file or the REDIS_URL environment variable',
    );
  }
  if (!Array.isArray(auth?.apiKeys)) return;
  const tiers = isRecord(rateLimits?.tiers) ? Object.keys(rateLimits.tiers) : undefined;
  const firstUse = new Map<string, number>();
  auth.apiKeys.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const path = itemPath('auth.apiKeys', index);
    // Tier names are not secret, but everything under auth stays unechoed: list the valid ones instead.
    if (typeof entry.tier === 'string' && tiers !== undefined && !tiers.includes(entry.tier)) {
      errors.push(`${path}.tier must name a configured rateLimits tier (${tiers.join(', ')})`);
    }
    if (typeof entry.key !== 'string') return;
    const first = firstUse.get(entry.key);
    if (first === undefined) firstUse.set(entry.key, index);
    else
      errors.push(
        `${path}.key repeats the key of ${itemPath('auth.apiKeys', first)}: each key must be unique`,
      );
  });
}

function wrongType(path: string, expected: string, value: unknown, secret: boolean, w: Walk): typeof invalid {
  w.errors.push(`${label(path, w)} must be ${expected}, received ${describe(value, secret)}`);
  return invalid;
}

/** The key, plus the environment variable(s) its value came from, if any. */
function label(path: string, w: Walk): string {
  for (const [source, variables] of w.sources) {
    if (path === source || path.startsWith(`${source}[`) || path.startsWith(`${source}.`)) {
      return `${path} (from ${variables})`;
    }
  }
  return path;
}

function describe(value: unknown, secret: boolean): string {
  const type =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'a list'
        : typeof value === 'object'
          ? 'a mapping'
          : `a ${typeof value}`;
  if (secret || value === null || typeof value === 'object') return type;
  return `${type} (${typeof value === 'string' ? JSON.stringify(clip(value)) : String(value)})`;
}

/** Long values (a PEM pasted in the wrong key) would drown the message. */
const clip = (value: string): string => (value.length > 60 ? `${value.slice(0, 57)}...` : value);

/** The known key nearest to a misspelt one, when it is close enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
