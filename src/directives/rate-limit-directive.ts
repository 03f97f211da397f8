import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getFieldIdentity } from 'graphql-rate-limit';
import type { Identity } from '../auth/identity.js';
import type { GraphQLContext } from '../context/graphql-context.js';
import { ErrorCode, gatewayError } from '../errors.js';
import type { RateLimitBackend } from '../ratelimit/backend.js';

/** One field's `@rateLimit(max, window)`. */
export interface FieldLimit {
  coordinate: string;
  max: number;
  window: string;
  windowMs: number;
}

/**
 * The decision is ours, in one place: `RateLimitBackend.slidingLog` checks and records a call in
 * one atomic step (one Lua script in Redis). graphql-rate-limit's own limiter reads the count
 * and writes it back in two awaits, so concurrent calls all see the old count (ten parallel calls
 * with `max: 2` all passed, with both of its bundled stores). What it does well is kept: its
 * field identity (`getFieldIdentity`) names what is counted.
 */
export function limitKey(limit: FieldLimit, caller: string): string {
  // graphql-rate-limit's identity of a field is its bare name, which two types can share: the
  // coordinate (`Type.field`) stands in for it.
  return `${getFieldIdentity(limit.coordinate, [], {})}:${caller}`;
}

/** The caller a field limit counts against: the user, else the API key, else the client IP. */
export function callerOf(identity: Identity, clientIp: string): string {
  if (identity.userId) return `user:${identity.userId}`;
  if (identity.apiKeyId) return `key:${identity.apiKeyId}`;
  return `ip:${clientIp}`;
}

/** The RATE_LIMITED error of a refused call (or of `calls` refused together). */
export function rateLimited(limit: FieldLimit, retryAfterMs: number, calls = 1) {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const allows = `${limit.coordinate} allows ${limit.max} calls per ${limit.window}`;
  const message =
    calls > limit.max
      ? `${allows}; this operation makes ${calls}, so none of them ran`
      : calls > 1
        ? `${allows}; this operation's ${calls} calls do not fit, so none of them ran; retry in ${retryAfterSeconds} s`
        : `${allows}; retry in ${retryAfterSeconds} s`;
  return gatewayError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
}

/** Every `@rateLimit` of the schema, by `Type.field`, read and checked once at start-up. */
export function fieldLimitsOf(schema: GraphQLSchema): Map<string, FieldLimit> {
  const limits = new Map<string, FieldLimit>();
  mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const rule = getDirective(schema, fieldConfig, 'rateLimit')?.[0];
      if (!rule) return fieldConfig;
      const coordinate = `${typeName}.${fieldName}`;
      const max = rule.max as number;
      const window = rule.window as string;
      const windowMs = durationMs(window);
      if (!Number.isInteger(max) || max < 1 || windowMs === undefined) {
        throw new Error(`@rateLimit on ${coordinate}: max must be ≥ 1 and window a duration like "1m"`);
      }
      limits.set(coordinate, { coordinate, max, window, windowMs });
      return fieldConfig;
    },
  });
  return limits;
}

/**
 * `@rateLimit(max, window)`: at most `max` calls of the field per caller (user id, else API key,
 * else IP) within `window`, every alias counting once. Applied once at start-up with mapSchema.
 * A call whose quota the mutation preflight already took (context.rateLimitReservations) is
 * not counted twice.
 */
export function rateLimitDirectiveTransformer(
  schema: GraphQLSchema,
  backend: RateLimitBackend,
  onRefused: (field: string) => void = () => {},
): GraphQLSchema {
  const limits = fieldLimitsOf(schema);
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const limit = limits.get(`${typeName}.${fieldName}`);
      if (!limit) return fieldConfig;
      const resolve: GraphQLFieldResolver<unknown, GraphQLContext> =
        fieldConfig.resolve ?? defaultFieldResolver;
      fieldConfig.resolve = async (source, args, context: GraphQLContext, info) => {
        const reserved = context.rateLimitReservations;
        const left = reserved?.get(limit.coordinate) ?? 0;
        if (left > 0) reserved!.set(limit.coordinate, left - 1);
        else {
          const key = limitKey(limit, callerOf(context.identity, context.clientIp));
          const decision = await backend.slidingLog(key, limit.max, limit.windowMs);
          if (!decision.allowed) {
            onRefused(limit.coordinate);
            throw rateLimited(limit, decision.retryAfterMs);
          }
        }
        return resolve(source, args, context, info);
      };
      return fieldConfig;
    },
  });
}

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "10s", "1m", "500ms", "1h", "1d" in milliseconds (the `ms` package's forms graphql-rate-limit reads). */
export function durationMs(window: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(window.trim());
  if (!match) return undefined;
  const value = Number(match[1]) * units[match[2]!]!;
  return value > 0 ? value : undefined;
}
