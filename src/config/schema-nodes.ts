// The vocabulary of the configuration schema: the node kinds the table in schema.ts is written in.

/** What a default computed from other settings may look at. */
export interface DefaultContext {
  production: boolean;
}

/** A value a `normalize` step refused, with the reason (completes "<key> must ..."). */
export interface Invalid {
  invalid: string;
}

interface Common {
  /** Values at or under this key are never echoed in messages (keys, secrets, credentials in URLs). */
  secret?: boolean;
  /** `true`, or the whole message for a missing value given the key's path. */
  required?: true | ((path: string) => string);
}

/** A string, non-empty unless `minLength: 0`. */
export interface StringNode extends Common {
  kind: 'string';
  default?: string;
  minLength?: number;
  oneOf?: readonly string[];
  pattern?: RegExp;
  /** Completes "<key> must ..." when `pattern` does not match. */
  patternHint?: string;
  normalize?: (value: string) => string | Invalid;
}

/** A safe integer in min..max. */
export interface IntNode extends Common {
  kind: 'int';
  default?: number;
  min: number;
  max?: number;
}

/** A finite number, fractions allowed, in min..max (e.g. a ratio). */
export interface NumberNode extends Common {
  kind: 'number';
  default?: number;
  min: number;
  max?: number;
}

export interface BoolNode extends Common {
  kind: 'bool';
  default?: boolean | ((context: DefaultContext) => boolean);
}

export interface ListNode<Item extends SchemaNode = SchemaNode> extends Common {
  kind: 'list';
  item: Item;
  default?: readonly unknown[];
  minItems?: number;
  /** Skip (with a warning) an entry whose field of this name was an unset `${VAR}`. */
  skipItemWhenUnset?: string;
}

/** A mapping with free-form keys (upstream names, tier names). */
export interface MapNode<Value extends SchemaNode = SchemaNode> extends Common {
  kind: 'map';
  value: Value;
  default?: Readonly<Record<string, unknown>>;
  keyPattern?: RegExp;
  /** Completes "<key> is not a valid name: ..." */
  keyHint?: string;
  /** Keys always validated, given or not (so their own required fields are reported). */
  requiredKeys?: readonly string[];
}

/** A mapping with a fixed set of keys; any other key is an error. */
export interface ObjectNode<Fields extends Record<string, SchemaNode> = Record<string, SchemaNode>>
  extends Common {
  kind: 'object';
  fields: Fields;
}

/** One node of the configuration's schema. */
export type SchemaNode = StringNode | IntNode | NumberNode | BoolNode | ListNode | MapNode | ObjectNode;

/**
 * The schema node shape that describes T. Typing the table with it makes the compiler check that
 * the table covers exactly the keys of GatewayConfig, so the validated result really is one.
 */
export type SchemaOf<T> = [T] extends [string]
  ? StringNode
  : [T] extends [number]
    ? IntNode | NumberNode
    : [T] extends [boolean]
      ? BoolNode
      : [T] extends [readonly (infer Item)[]]
        ? ListNode<SchemaOf<Item>>
        : string extends keyof T
          ? MapNode<SchemaOf<T[keyof T]>>
          : ObjectNode<{ [K in keyof T]-?: SchemaOf<NonNullable<T[K]>> }>;

/** The path of `key` under `parent` ("" is the root). */
export const keyPath = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

/** The path of list entry `index` under `parent`. */
export const itemPath = (parent: string, index: number): string => `${parent}[${index}]`;

/** True for a YAML mapping (a plain object), false for lists, scalars and null. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
