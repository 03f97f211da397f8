import { readFileSync } from 'node:fs';
import { parseDocument, type YAMLError } from 'yaml';
import { applyEnvOverrides } from './env.js';
import { interpolate } from './interpolate.js';
import { isRecord } from './paths.js';
import type { GatewayConfig } from './types.js';
import { validateConfig } from './validate.js';

/** Where the configuration comes from. */
export interface LoadConfigOptions {
  /** A YAML file; without it the config is defaults plus environment. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** A loaded configuration and the things worth logging about it (e.g. API keys skipped). */
export interface LoadedConfig {
  config: GatewayConfig;
  warnings: string[];
}

/** The configuration cannot be used; `errors` holds one message per problem, each naming its key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  readonly errors: string[];

  constructor(errors: string[], file?: string) {
    const where = file === undefined ? '' : ` in ${file}`;
    super(`Invalid gateway configuration${where}:\n${errors.map((error) => `  - ${error}`).join('\n')}`);
    this.errors = errors;
  }
}

/**
 * Loads the file (if any), replaces `${VAR}`, applies the environment overrides and validates;
 * throws one ConfigError listing every problem. The config is deep-frozen.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const raw = options.file === undefined ? {} : readConfigFile(options.file);
  const { value, sources, unset, errors } = interpolate(raw, env);
  const tree = isRecord(value) ? value : {};
  applyEnvOverrides(tree, env, sources);
  const warnings: string[] = [];
  const config = validateConfig(tree, { sources, unset, errors, warnings });
  if (errors.length > 0) throw new ConfigError(errors, options.file);
  return { config: deepFreeze(config), warnings };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError([`config file ${file} ${reason}`]);
  }
  const document = parseDocument(text);
  const syntaxError = document.errors[0];
  // Only the first: after one syntax error the parser's further complaints are mostly echoes of it.
  if (syntaxError !== undefined) throw new ConfigError([yamlMessage(file, syntaxError)]);
  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // e.g. an alias bomb: the yaml package refuses to expand too many aliases.
    throw new ConfigError([`config file ${file} is not usable YAML: ${(error as Error).message}`]);
  }
  // A file of nothing but comments is an empty configuration.
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) {
    const type = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    throw new ConfigError([`config file ${file} must hold a mapping of keys at the top level, not ${type}`]);
  }
  return value;
}

/** Keeps the line and the reason; drops the yaml package's source excerpt, which may show a secret. */
function yamlMessage(file: string, error: YAMLError): string {
  const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const position = error.linePos?.[0];
  const where = position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
  return `config file ${file} is not valid YAML${where}: ${reason}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
