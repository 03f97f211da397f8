import { isRecord, itemPath, keyPath } from './paths.js';

/** The raw configuration with every `${VAR}` replaced, and what the replacement did. */
export interface Interpolated {
  value: unknown;
  /** Path of each string built from variables -> the variables, e.g. "${PORT}" (for messages). */
  sources: Map<string, string>;
  /** Path of each key dropped because its whole value was an unset variable -> that variable. */
  unset: Map<string, string>;
  /** One message per string that uses an unset variable inside a longer value. */
  errors: string[];
}

const variable = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const wholeVariable = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

const notGiven = Symbol('not given');

/** Stands for a string that used an unset variable: already reported, so validation stays quiet about it. */
export const unresolved = Symbol('unresolved');

/** Empty values count as unset: `FOO= npm start` is how people switch a variable off. */
const lookup = (env: NodeJS.ProcessEnv, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

/**
 * Replaces `${VAR}` and `${VAR:-fallback}` in every string value (keys are left alone). A value
 * that is exactly one unset `${VAR}` counts as not given: its key, or its list entry, is dropped.
 */
export function interpolate(raw: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const result: Interpolated = { value: undefined, sources: new Map(), unset: new Map(), errors: [] };

  const visitString = (value: string, path: string): string | typeof notGiven | typeof unresolved => {
    if (!value.includes('${')) return value;
    const whole = wholeVariable.exec(value)?.[1];
    if (whole !== undefined && lookup(env, whole) === undefined) {
      result.unset.set(path, whole);
      return notGiven;
    }
    const used: string[] = [];
    const missing: string[] = [];
    const replaced = value.replace(variable, (_match, name: string, fallback: string | undefined) => {
      used.push(`\${${name}}`);
      const found = lookup(env, name) ?? fallback;
      if (found === undefined) missing.push(name);
      return found ?? '';
    });
    for (const name of missing) {
      result.errors.push(
        `${path} uses \${${name}}, which is not set (set it, or write \${${name}:-fallback} for a default)`,
      );
    }
    if (missing.length > 0) return unresolved;
    if (used.length > 0) result.sources.set(path, used.join(', '));
    return replaced;
  };

  const visit = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return visitString(value, path);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      const droppedVariables: string[] = [];
      for (const entry of value) {
        // Paths use the index in the result, so later messages agree with what gets validated.
        const entryPath = itemPath(path, out.length);
        const next = visit(entry, entryPath);
        if (next !== notGiven) {
          out.push(next);
          continue;
        }
        droppedVariables.push(result.unset.get(entryPath) ?? '');
        result.unset.delete(entryPath);
      }
      // A list made only of unset variables is as good as not given; its default applies.
      if (value.length > 0 && out.length === 0) {
        result.unset.set(path, droppedVariables.join(', '));
        return notGiven;
      }
      return out;
    }
    if (isRecord(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(value)) {
        const next = visit(entry, keyPath(path, key));
        if (next !== notGiven) out[key] = next;
      }
      return out;
    }
    return value;
  };

  const value = visit(raw, '');
  result.value = value === notGiven ? undefined : value;
  return result;
}
