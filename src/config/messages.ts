import type { ErrorObject } from 'ajv';
import { keyPath, pathOf, redactCredentials } from './paths.js';
import { serviceUrlVariables } from './schema.js';

/** What a message needs besides the Ajv error: the data (for paths and values), and where values came from. */
export interface MessageContext {
  root: unknown;
  /** Path -> the variable(s) its value came from: messages about the key name them. */
  sources: ReadonlyMap<string, string>;
}

// Values under these keys are never echoed: keys, secrets and credentials live there.
const secretRoots = ['auth', 'redis'];

/**
 * One Ajv error in the words the config's users read: the key's path (and the variable its value
 * came from), what it must be, and what it was, unless the key is secret. undefined for errors
 * that another one already says (a union's branches).
 */
export function describeError(error: ErrorObject, context: MessageContext): string | undefined {
  const path = pathOf(error.instancePath, context.root);
  const secret = secretRoots.includes(path.split(/[.[]/)[0] ?? '');
  const label = labelOf(path, context.sources);
  const value = error.data;
  const schema = error.parentSchema ?? {};
  // A union's branches speak through the union's own error.
  if (error.schemaPath.includes('/anyOf/')) return undefined;
  if (error.propertyName !== undefined && error.keyword !== 'propertyNames') return undefined;
  const received = secret ? '' : `, received ${valueText(value)}`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(error.params.additionalProperty);
      const known = Object.keys((schema as { properties?: object }).properties ?? {});
      const guess = closest(key, known);
      const hint =
        guess === undefined ? `known keys: ${known.join(', ')}` : `did you mean ${keyPath(path, guess)}?`;
      return `${keyPath(path, key)} is not a known key (${hint})`;
    }
    case 'propertyNames': {
      const hint = (schema as { keyHint?: string }).keyHint ?? nameHint(schema);
      return `${keyPath(path, String(error.params.propertyName))} is not a valid name: ${hint}`;
    }
    case 'required': {
      const key = String(error.params.missingProperty);
      const missing = keyPath(path, key);
      const service = path.split('.')[1] ?? '';
      const variable =
        path.startsWith('upstreams.') && key === 'urls' ? serviceUrlVariables[service] : undefined;
      return variable === undefined
        ? `${missing} is required`
        : `${missing} is required: set it in the config file or the ${variable} environment variable`;
    }
    case 'type':
      return `${label} must be ${typeText(String(error.params.type))}, received ${typeOf(value, secret)}`;
    case 'anyOf':
      return `${label} must be ${(schema as { unionHint?: string }).unionHint ?? 'of another type'}${received}`;
    case 'minimum':
    case 'maximum': {
      const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
      // Reported once for the pair, by whichever bound was crossed.
      const range =
        maximum === undefined
          ? `at least ${minimum}`
          : minimum === undefined
            ? `at most ${maximum}`
            : `between ${minimum} and ${maximum}`;
      return `${label} must be ${range}${secret ? '' : `, received ${String(value)}`}`;
    }
    case 'enum':
      return `${label} must be one of ${(error.params.allowedValues as unknown[]).join(', ')}${received}`;
    case 'minItems': {
      const count = Number(error.params.limit);
      return `${label} must have at least ${count} ${count === 1 ? 'entry' : 'entries'}`;
    }
    case 'minLength': {
      const limit = Number(error.params.limit);
      return `${label} must ${limit === 1 ? 'not be empty' : `be at least ${limit} characters`}${received}`;
    }
    case 'pattern':
      return `${label} must ${(schema as { patternHint?: string }).patternHint ?? `match ${error.params.pattern}`}${received}`;
    case 'url':
      return `${label} must ${String(error.params.problem)}${received}`;
    default:
      // Not expected from this schema; said plainly rather than dropped.
      return `${label} ${error.message ?? 'is invalid'}`;
  }
}

/** The key, plus the environment variable(s) its value came from, if any. */
export function labelOf(path: string, sources: ReadonlyMap<string, string>): string {
  for (const [source, variables] of sources) {
    if (path === source || path.startsWith(`${source}[`) || path.startsWith(`${source}.`)) {
      return `${path} (from ${variables})`;
    }
  }
  return path;
}

function typeText(type: string): string {
  const names: Record<string, string> = {
    integer: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'a boolean (true or false)',
    object: 'a mapping',
    array: 'a list',
  };
  return names[type] ?? type;
}

function typeOf(value: unknown, secret: boolean): string {
  const type =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'a list'
        : typeof value === 'object'
          ? 'a mapping'
          : `a ${typeof value}`;
  if (secret || value === null || typeof value === 'object') return type;
  return `${type} (${valueText(value)})`;
}

function valueText(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  // Long values (a PEM pasted in the wrong key) would drown the message; credentials never show.
  const clipped = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(redactCredentials(clipped));
}

function nameHint(schema: unknown): string {
  const names = (schema as { propertyNames?: { patternHint?: string } }).propertyNames;
  return names?.patternHint ? `it must ${names.patternHint}` : 'it is not an allowed name';
}

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
