import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { getGraphQLRateLimiter, Store } from 'graphql-rate-limit';
import type { GraphQLContext } from '../context/graphql-context.js';
import { ErrorCode, gatewayError } from '../errors.js';
import type { LogDecision, RateLimitBackend } from '../ratelimit/backend.js';

/**
 * A graphql-rate-limit Store that decides atomically: `getForIdentity` records the call in the
 * backend (one Lua script in Redis) and answers with as many timestamps as the limiter must
 * see to reach the backend's verdict. `setForIdentity` has nothing left to do. The bundled
 * stores read then write, so concurrent calls all passed (STACK-NOTES).
 */
class AtomicStore extends Store {
  /** The decision of the call being made; read right after the limiter returns. */
  last: LogDecision | undefined;

  constructor(
    private readonly backend: RateLimitBackend,
    /** `Type.field`: graphql-rate-limit's own field identity is the bare field name, which two types can share. */
    private readonly coordinate: string,
    private readonly max: number,
    private readonly windowMs: number,
  ) {
    super();
  }

  override async getForIdentity(identity: { contextIdentity: string }): Promise<number[]> {
    const decision = await this.backend.slidingLog(
      `${this.coordinate}:${identity.contextIdentity}`,
      this.max,
      this.windowMs,
    );
    this.last = decision;
    // The limiter refuses when stamps + 1 > max: hand it `max` stamps to refuse, none to pass
    // (it filters and copies every stamp it is given: `earlier` of them would cost up to `max`).
    return decision.allowed ? [] : new Array<number>(this.max).fill(Date.now());
  }

  override setForIdentity(): void {}
}

/**
 * `@rateLimit(max, window)`: at most `max` calls of the field per caller (user id, else API key,
 * else IP) within `window`, every alias counting once. Applied once at start-up with mapSchema.
 */
export function rateLimitDirectiveTransformer(
  schema: GraphQLSchema,
  backend: RateLimitBackend,
  onRefused: (field: string) => void = () => {},
): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const rule = getDirective(schema, fieldConfig, 'rateLimit')?.[0];
      if (!rule) return fieldConfig;
      const max = rule.max as number;
      const window = rule.window as string;
      const windowMs = durationMs(window);
      if (!Number.isInteger(max) || max < 1 || windowMs === undefined) {
        throw new Error(
          `@rateLimit on ${typeName}.${fieldName}: max must be ≥ 1 and window a duration like "1m"`,
        );
      }
      const resolve: GraphQLFieldResolver<unknown, GraphQLContext> =
        fieldConfig.resolve ?? defaultFieldResolver;
      fieldConfig.resolve = async (source, args, context: GraphQLContext, info) => {
        // One store (and limiter) per call: the decision it records belongs to this call alone.
        const store = new AtomicStore(backend, `${typeName}.${fieldName}`, max, windowMs);
        const limiter = getGraphQLRateLimiter({ identifyContext: callerOf, store });
        const refused = await limiter({ parent: source, args, context, info }, { max, window });
        if (refused) {
          onRefused(`${typeName}.${fieldName}`);
          const retryAfterSeconds = Math.max(1, Math.ceil((store.last?.retryAfterMs ?? windowMs) / 1000));
          throw gatewayError(
            ErrorCode.RATE_LIMITED,
            `${typeName}.${fieldName} allows ${max} calls per ${window}; retry in ${retryAfterSeconds} s`,
            { retryAfterSeconds },
          );
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

/** The caller a field limit counts against: the user, else the API key, else the client IP. */
function callerOf(context: GraphQLContext): string {
  const { identity } = context;
  if (identity.userId) return `user:${identity.userId}`;
  if (identity.apiKeyId) return `key:${identity.apiKeyId}`;
  return `ip:${context.clientIp}`;
}
