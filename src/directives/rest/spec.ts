import { getDirective } from '@graphql-tools/utils';
import {
  type GraphQLField,
  type GraphQLFieldConfig,
  type GraphQLSchema,
  getNullableType,
  isListType,
} from 'graphql';
import { compileTemplate, type PathTemplate, type Placeholder, parseReference } from './template.js';

/** One `@rest` field, checked and compiled once at start-up. */
export interface RestSpec {
  /** `Type.field`, for errors and loader keys. */
  coordinate: string;
  service: string;
  template: PathTemplate;
  /** The path as written, up to its query: what logs, metrics and spans name (never a value). */
  route: string;
  /** Dot path into the answer; empty for the whole answer. */
  select: string[];
  batch?: { param: string; key: string[]; from: Placeholder; maxSize: number };
  timeoutMs?: number;
  /** The field returns a list: a batched field then takes every record of its key. */
  list: boolean;
}

const servicePattern = /^[a-z][a-z0-9-]*$/;
const dotPath = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const paramPattern = /^[A-Za-z0-9_.-]+$/;
const maxTimeoutMs = 600_000;

type AnyField = GraphQLField<unknown, unknown> | GraphQLFieldConfig<unknown, unknown>;

/**
 * The field's `@rest` spec, undefined when it has none. Throws an Error whose message says what
 * is wrong (the caller adds the file and line).
 */
export function restSpecOf(
  schema: GraphQLSchema,
  typeName: string,
  fieldName: string,
  field: AnyField,
): RestSpec | undefined {
  const rest = getDirective(schema, field, 'rest')?.[0];
  if (!rest) return undefined;
  const coordinate = `${typeName}.${fieldName}`;
  const fail = (message: string): never => {
    throw new Error(`@rest on ${coordinate}: ${message}`);
  };
  const root = rootKind(schema, typeName);
  if (root === 'mutation' || root === 'subscription') {
    fail('only reads can be declared; a Mutation or Subscription field needs a resolver');
  }
  const service = rest.service as string;
  if (!servicePattern.test(service)) fail(`service "${service}" is not a valid upstream name`);
  let template: PathTemplate;
  try {
    template = compileTemplate(rest.path as string);
  } catch (error) {
    return fail((error as Error).message);
  }
  const argNames = new Set(argumentNames(field));
  for (const placeholder of template.placeholders) {
    if (placeholder.source === 'args' && !argNames.has(placeholder.path[0]!)) {
      fail(`{${placeholder.text}} names no argument of the field`);
    }
    if (placeholder.source === 'parent' && root === 'query') {
      fail(`{${placeholder.text}}: a Query field has no parent`);
    }
  }
  const select = rest.select as string | undefined;
  if (select !== undefined && !dotPath.test(select))
    fail(`select "${select}" must be a dot path like data.items`);
  const timeoutMs = rest.timeoutMs as number | undefined;
  if (timeoutMs !== undefined && (timeoutMs < 1 || timeoutMs > maxTimeoutMs)) {
    fail(`timeoutMs must be between 1 and ${maxTimeoutMs}`);
  }
  const spec: RestSpec = {
    coordinate,
    service,
    template,
    route: (rest.path as string).split('?')[0]!,
    select: select === undefined ? [] : select.split('.'),
    list: isListType(getNullableType(field.type)),
  };
  if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  const batch = rest.batch as { param: string; key: string; from: string; maxSize: number } | undefined;
  if (batch) {
    if (root === 'query') fail('batch gathers parents, and a Query field has none');
    const from = parseReference(batch.from);
    if (from?.source !== 'parent') fail(`batch.from "${batch.from}" must be $parent.field`);
    if (!paramPattern.test(batch.param)) fail(`batch.param "${batch.param}" is not a query parameter name`);
    if (!dotPath.test(batch.key)) fail(`batch.key "${batch.key}" must be a field name (or dot path)`);
    if (!Number.isInteger(batch.maxSize) || batch.maxSize < 1 || batch.maxSize > 1000) {
      fail('batch.maxSize must be between 1 and 1000');
    }
    if (template.placeholders.some((p) => p.source === 'parent')) {
      fail('a batched path cannot use {$parent…}: one call serves every parent');
    }
    spec.batch = { param: batch.param, key: batch.key.split('.'), from: from!, maxSize: batch.maxSize };
  }
  return spec;
}

function rootKind(
  schema: GraphQLSchema,
  typeName: string,
): 'query' | 'mutation' | 'subscription' | undefined {
  if (schema.getQueryType()?.name === typeName) return 'query';
  if (schema.getMutationType()?.name === typeName) return 'mutation';
  if (schema.getSubscriptionType()?.name === typeName) return 'subscription';
  return undefined;
}

function argumentNames(field: AnyField): string[] {
  const args = field.args;
  if (!args) return [];
  return Array.isArray(args) ? args.map((arg: { name: string }) => arg.name) : Object.keys(args);
}
