import type { Identity } from '../auth/identity.js';
import type { RateLimitsConfig } from '../config/types.js';
import { dayMs, type RateLimitBackend } from './backend.js';

/** What a tier decision tells the HTTP layer: headers for every answer, and whether to refuse. */
export interface TierVerdict {
  headers: Record<string, string>;
  /** Set when the caller is over its tier's rate or daily quota. */
  retryAfterSeconds?: number;
  message?: string;
}

/** Tier quotas: requests per window and per UTC day, per API key, else per user, else per IP. */
export interface TierLimiter {
  /** Counts `weight` requests (each operation of a batch is one). */
  check(identity: Identity, clientIp: string, weight?: number): Promise<TierVerdict>;
}

/** Creates the limiter over a backend (memory, or Redis shared by every instance). */
export function createTierLimiter(config: RateLimitsConfig, backend: RateLimitBackend): TierLimiter {
  return {
    async check(identity, clientIp, weight = 1) {
      // A key's tier applies to its key; everyone else is "anonymous", counted per user or per IP.
      const tierName = identity.apiKeyId && identity.tier ? identity.tier : 'anonymous';
      const tier = config.tiers[tierName] ?? config.tiers.anonymous!;
      const bucket = identity.apiKeyId
        ? `key:${identity.apiKeyId}`
        : identity.userId
          ? `user:${identity.userId}`
          : `ip:${clientIp}`;
      const windowMs = tier.windowSeconds * 1000;
      const decision = await backend.quota(
        `${tierName}:${bucket}`,
        tier.requests,
        windowMs,
        tier.dailyRequests,
        weight,
      );

      const remaining = Math.max(0, tier.requests - decision.count);
      const dailyRemaining =
        tier.dailyRequests > 0 ? Math.max(0, tier.dailyRequests - decision.dailyCount) : Infinity;
      // The binding policy is the one with less left: that is what the client must pace by.
      const dailyBinds =
        dailyRemaining < remaining || (tier.dailyRequests > 0 && decision.dailyCount >= tier.dailyRequests);
      const shown = dailyBinds
        ? {
            name: `${tierName}-daily`,
            limit: tier.dailyRequests,
            remaining: dailyRemaining,
            resetMs: decision.dailyResetMs,
          }
        : { name: tierName, limit: tier.requests, remaining, resetMs: decision.resetMs };
      const resetSeconds = Math.max(1, Math.ceil(shown.resetMs / 1000));
      const policies = [`"${tierName}";q=${tier.requests};w=${tier.windowSeconds}`];
      if (tier.dailyRequests > 0)
        policies.push(`"${tierName}-daily";q=${tier.dailyRequests};w=${dayMs / 1000}`);
      const verdict: TierVerdict = {
        headers: {
          // IETF draft-ietf-httpapi-ratelimit-headers, and the widespread X-RateLimit-* trio
          // (Reset in seconds from now, like the draft's `t`).
          'ratelimit-policy': policies.join(', '),
          ratelimit: `"${shown.name}";r=${shown.remaining};t=${resetSeconds}`,
          'x-ratelimit-limit': String(shown.limit),
          'x-ratelimit-remaining': String(shown.remaining),
          'x-ratelimit-reset': String(resetSeconds),
        },
      };
      if (!decision.allowed) {
        verdict.retryAfterSeconds = resetSeconds;
        verdict.message = dailyBinds
          ? `Daily quota of ${tier.dailyRequests} requests for tier ${tierName} used up`
          : `Rate limit of ${tier.requests} requests per ${tier.windowSeconds} s for tier ${tierName} exceeded`;
      }
      return verdict;
    },
  };
}
