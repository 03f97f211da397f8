import DataLoader from 'dataloader';
import type { GraphQLFieldResolver, GraphQLOutputType } from 'graphql';
import type { GraphQLContext } from '../../context/graphql-context.js';
import { ErrorCode, gatewayError } from '../../errors.js';
import { chunk, groupBy, isListableId, observedBatch } from '../../loaders/batch.js';
import { isUpstreamFailure, upstreamFailure } from '../../upstream/errors.js';
import type { UpstreamRequest } from '../../upstream/types.js';
import { misfit } from './conform.js';
import type { RestSpec } from './spec.js';
import { renderTemplate, splitPath, valueAt } from './template.js';

/** Per request: one loader per batched field and rendered path (its `$args` may differ by alias). */
export type RestLoaders = Map<string, DataLoader<string, unknown>>;

/**
 * The resolver of a `@rest` field. `declared` is false when the service is not under
 * `upstreams`: the field then fails as unavailable instead of stopping every client's start-up.
 */
export function restResolver(
  spec: RestSpec,
  declared: boolean,
): GraphQLFieldResolver<unknown, GraphQLContext> {
  return async (parent, args, context, info) => {
    if (!declared) {
      throw upstreamFailure(
        spec.service,
        ErrorCode.UPSTREAM_UNAVAILABLE,
        `${spec.service} is not configured`,
        'unavailable',
      );
    }
    const outcome = renderTemplate(spec.template, parent, args);
    if (outcome.kind === 'missing') return null;
    if (outcome.kind === 'unsafe') {
      const { placeholder, reason } = outcome;
      // The caller's own argument: their input, coded. A value from a record or the token:
      // it names nothing this field can ask for, so the field is null, with no call.
      if (placeholder.source !== 'args') return null;
      throw gatewayError(ErrorCode.BAD_USER_INPUT, `argument ${placeholder.path[0]} ${reason}`, {
        argumentName: placeholder.path[0],
      });
    }
    const rendered = outcome.path;
    if (spec.batch) {
      const key = valueAt(parent, spec.batch.from.path);
      // One key is one value in the batch's comma-separated list: a key holding a comma names nothing.
      if (!isKey(key) || !isListableId(String(key))) return null;
      return loaderFor(spec, rendered, context, info.returnType).load(String(key));
    }
    const { path, query } = splitPath(rendered);
    const request: UpstreamRequest = { method: 'GET', path, query, route: spec.route };
    if (spec.timeoutMs !== undefined) request.timeoutMs = spec.timeoutMs;
    let answer: unknown;
    try {
      answer = await context.upstream.call(spec.service, request, context.call);
    } catch (error) {
      // The thing asked for does not exist: the field is null, as for an unknown id elsewhere.
      if (isUpstreamFailure(error) && error.upstreamStatus === 404) return null;
      throw error;
    }
    return checked(spec, valueAt(answer, spec.select) ?? null, info.returnType);
  };
}

function loaderFor(
  spec: RestSpec,
  rendered: string,
  context: GraphQLContext,
  returnType: GraphQLOutputType,
): DataLoader<string, unknown> {
  context.restLoaders ??= new Map();
  const id = `${spec.coordinate}\n${rendered}`;
  let loader = context.restLoaders.get(id);
  if (!loader) {
    loader = createRestLoader(spec, rendered, context, returnType);
    context.restLoaders.set(id, loader);
  }
  return loader;
}

/** All keys asked in one tick become calls of at most `maxSize` keys, in parallel. */
function createRestLoader(
  spec: RestSpec,
  rendered: string,
  context: GraphQLContext,
  returnType: GraphQLOutputType,
): DataLoader<string, unknown> {
  const batch = spec.batch!;
  const { path, query } = splitPath(rendered);
  return new DataLoader<string, unknown>(
    observedBatch<string, unknown>(context.call, spec.service, async (keys, call) => {
      const answers = await Promise.all(
        chunk(keys, batch.maxSize).map(async (part) => {
          const request: UpstreamRequest = {
            method: 'GET',
            path,
            route: spec.route,
            query: { ...query, [batch.param]: part.join(',') },
            batchSize: part.length,
          };
          if (spec.timeoutMs !== undefined) request.timeoutMs = spec.timeoutMs;
          const records = valueAt(await context.upstream.call(spec.service, request, call), spec.select);
          if (!Array.isArray(records)) throw mismatch(spec, '', 'is not a list');
          return records;
        }),
      );
      // Records without a usable key belong to no parent.
      const keyed = answers.flat().filter((record) => isKey(valueAt(record, batch.key)));
      const byKey = groupBy(keyed, (record) => String(valueAt(record, batch.key)));
      return keys.map((key) => {
        const records = byKey.get(key);
        const value = spec.list ? (records ?? []) : (records?.[0] ?? null);
        // One bad record fails only its own parent's field.
        try {
          return checked(spec, value, returnType);
        } catch (error) {
          return error as Error;
        }
      });
    }),
  );
}

/** The value if it fits the field's type; otherwise the service broke its side of the schema. */
function checked(spec: RestSpec, value: unknown, type: GraphQLOutputType): unknown {
  const bad = misfit(value, type);
  if (bad !== undefined) throw mismatch(spec, bad);
  return value;
}

function mismatch(spec: RestSpec, where: string, what = 'does not match its type') {
  const at = where ? ` at ${where}` : '';
  return upstreamFailure(
    spec.service,
    ErrorCode.UPSTREAM_ERROR,
    `${spec.service} answered ${spec.coordinate} with a body that ${what}${at}`,
    'error',
  );
}

function isKey(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}
