import { Ajv, type ErrorObject, type SchemaObject } from 'ajv';
import { unresolved } from './interpolate.js';
import { describeError, type MessageContext } from './messages.js';
import { isRecord, itemPath, keyPath, pathOf } from './paths.js';
import { finishConfig } from './rules.js';
import { gatewaySchema, serviceUrlVariables } from './schema.js';
import type { GatewayConfig } from './types.js';
import { checkUrl, type UrlKind } from './urls.js';

/** What validation reads besides the raw config, and where it reports. */
export interface ValidationContext {
  /** Path -> the variable(s) its value came from; such strings may stand for numbers and booleans. */
  sources: ReadonlyMap<string, string>;
  /** Path -> the unset variable that made the key not given. */
  unset: ReadonlyMap<string, string>;
  errors: string[];
  warnings: string[];
}

// Ajv checks the schema and fills in the defaults (useDefaults); every error is reported, not the
// first (allErrors). Switchboard's annotations are declared so that strict mode still refuses
// anything else it does not know.
const ajv = new Ajv({
  allErrors: true,
  useDefaults: true,
  strict: true,
  allowUnionTypes: true,
  verbose: true,
});
for (const keyword of ['secret', 'patternHint', 'keyHint', 'requiredHint', 'unionHint'])
  ajv.addKeyword({ keyword });
ajv.addKeyword({
  keyword: 'url',
  type: 'string',
  modifying: true,
  errors: true,
  // Checks an absolute URL of the allowed schemes and stores it normalised (no trailing slash).
  validate: function url(
    kind: UrlKind,
    value: string,
    _schema?: unknown,
    data?: { parentData?: unknown; parentDataProperty?: string | number },
  ) {
    const checked = checkUrl(kind, value);
    if ('invalid' in checked) {
      (url as unknown as { errors: Partial<ErrorObject>[] }).errors = [
        { keyword: 'url', params: { problem: checked.invalid } },
      ];
      return false;
    }
    if (data?.parentData && data.parentDataProperty !== undefined) {
      (data.parentData as Record<string | number, unknown>)[data.parentDataProperty] = checked.url;
    }
    return true;
  },
});
const check = ajv.compile(gatewaySchema as SchemaObject);

/**
 * Checks the raw config against the schema and fills in every default. Problems are appended to
 * `context.errors`, in the order of the schema's keys; the result is only a GatewayConfig when no
 * error was added.
 */
export function validateConfig(raw: Record<string, unknown>, context: ValidationContext): GatewayConfig {
  skipUnsetApiKeys(raw, context);
  dropUnsetSandboxDefaults(raw, context);
  ensureRequiredServices(raw);
  const unresolvedPaths = replaceUnresolved(raw, '');
  coerceVariables(raw, context.sources);
  const valid = check(raw);
  if (!valid) {
    const messages: MessageContext = { root: raw, sources: context.sources };
    for (const error of check.errors ?? []) {
      const path = pathOf(error.instancePath, raw);
      // An unset variable inside a value was reported already, by itself.
      if (unresolvedPaths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)))
        continue;
      const message = describeError(error, messages);
      if (message !== undefined && !context.errors.includes(message)) context.errors.push(message);
    }
  }
  return finishConfig(raw, context);
}

/**
 * An API key listed as `${WEB_API_KEY}` is simply switched off where that variable is not set:
 * its entry is skipped, with a warning, instead of failing as a key without a key.
 */
function skipUnsetApiKeys(raw: Record<string, unknown>, context: ValidationContext): void {
  const keys = isRecord(raw.auth) ? raw.auth.apiKeys : undefined;
  if (!Array.isArray(keys)) return;
  for (let index = keys.length - 1; index >= 0; index--) {
    const entry = keys[index];
    const unsetVariable = context.unset.get(keyPath(itemPath('auth.apiKeys', index), 'key'));
    if (!isRecord(entry) || entry.key !== undefined || unsetVariable === undefined) continue;
    context.warnings.unshift(
      `auth.apiKeys[${index}] skipped: its key comes from \${${unsetVariable}}, which is not set`,
    );
    keys.splice(index, 1);
  }
}

/**
 * What the IDE opens with is a convenience: a default header built from an unset variable
 * (`authorization: "Bearer ${DEMO_TOKEN}"`) is left out, with a warning, rather than stopping
 * the start-up.
 */
function dropUnsetSandboxDefaults(raw: Record<string, unknown>, context: ValidationContext): void {
  const defaults = isRecord(raw.server) ? raw.server.sandboxDefaults : undefined;
  if (!isRecord(defaults)) return;
  const prefix = 'server.sandboxDefaults.';
  const dropped = context.errors.filter((message) => message.startsWith(prefix));
  if (dropped.length === 0) return;
  context.errors.splice(0, context.errors.length, ...context.errors.filter((m) => !m.startsWith(prefix)));
  for (const message of dropped)
    context.warnings.push(`${message.replace(/ \(set it, .*\)$/, '')}: left out of the IDE's defaults`);
  if (defaults.query === unresolved) delete defaults.query;
  if (isRecord(defaults.headers)) {
    for (const [name, value] of Object.entries(defaults.headers))
      if (value === unresolved) delete defaults.headers[name];
  }
}

/** The four services the base schema reads from must be configured, each with its URLs (their absence is reported as `urls`). */
function ensureRequiredServices(raw: Record<string, unknown>): void {
  raw.upstreams ??= {};
  if (!isRecord(raw.upstreams)) return;
  for (const service of Object.keys(serviceUrlVariables)) raw.upstreams[service] ??= {};
}

/** Values that used an unset variable become null (already reported); their paths are returned. */
function replaceUnresolved(node: unknown, path: string): string[] {
  const found: string[] = [];
  if (!isRecord(node) && !Array.isArray(node)) return found;
  const entries: [string | number, unknown][] = Array.isArray(node)
    ? [...node.entries()]
    : Object.entries(node);
  for (const [key, value] of entries) {
    const child = typeof key === 'number' ? itemPath(path, key) : keyPath(path, key);
    if (value === unresolved) {
      (node as Record<string | number, unknown>)[key] = null;
      found.push(child);
    } else found.push(...replaceUnresolved(value, child));
  }
  return found;
}

/**
 * Environment variables are text: "4000" from PORT or `${PORT}` stands for the number, "true"
 * for the boolean. Only values that came from variables are converted; a quoted number written
 * in the file stays a string (and is refused as one).
 */
function coerceVariables(raw: Record<string, unknown>, sources: ReadonlyMap<string, string>): void {
  for (const path of sources.keys()) {
    const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
    let parent: unknown = raw;
    let schema: SchemaObject | undefined = gatewaySchema as SchemaObject;
    for (const segment of segments.slice(0, -1)) {
      parent = (parent as Record<string, unknown> | undefined)?.[segment];
      schema = childSchema(schema, segment);
    }
    const last = segments.at(-1);
    if (last === undefined || !(isRecord(parent) || Array.isArray(parent))) continue;
    const holder = parent as Record<string, unknown>;
    const type = childSchema(schema, last)?.type ?? unionType(childSchema(schema, last));
    const value = holder[last];
    if (typeof value !== 'string') continue;
    if (type === 'integer' && /^-?\d+$/.test(value.trim())) holder[last] = Number(value);
    if (type === 'number' && /^-?\d+(\.\d+)?$/.test(value.trim())) holder[last] = Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false')) holder[last] = value === 'true';
  }
}

function childSchema(schema: SchemaObject | undefined, segment: string): SchemaObject | undefined {
  if (!schema) return undefined;
  if (schema.properties?.[segment]) return schema.properties[segment];
  if (/^\d+$/.test(segment) && schema.items) return schema.items;
  const pattern = schema.patternProperties && Object.values(schema.patternProperties)[0];
  return (pattern as SchemaObject | undefined) ?? undefined;
}

/** `workers: 2 | "auto"`: a number-like string from a variable is the number. */
function unionType(schema: SchemaObject | undefined): string | undefined {
  return schema?.anyOf?.some((s: SchemaObject) => s.type === 'integer') ? 'integer' : undefined;
}
