/** The outcome of one quota decision (fixed windows: a rate window and, optionally, a UTC day). */
export interface QuotaDecision {
  allowed: boolean;
  /** Requests counted in the current window, this one included when allowed. */
  count: number;
  /** Milliseconds until the current window resets. */
  resetMs: number;
  /** Requests counted today (UTC), when a daily quota applies. */
  dailyCount: number;
  dailyResetMs: number;
}

/** The outcome of one sliding-log decision (`@rateLimit`). */
export interface LogDecision {
  allowed: boolean;
  /** Calls in the window before this one. */
  earlier: number;
  /** Milliseconds until the oldest call in the window leaves it (when to retry). */
  retryAfterMs: number;
}

/**
 * Where limits are counted. Each decision checks and records in ONE atomic step: reading then
 * writing in two steps lets concurrent requests all see the old count (graphql-rate-limit's
 * bundled stores do exactly that). Rejected requests are not recorded, so a
 * client that keeps retrying is not locked out beyond the window.
 */
export interface RateLimitBackend {
  /** Counts `weight` requests at once (a batch of operations), all or none. */
  quota(
    key: string,
    limit: number,
    windowMs: number,
    dailyLimit: number,
    weight?: number,
  ): Promise<QuotaDecision>;
  /** Records `count` calls at once (aliases of one mutation), all or none. */
  slidingLog(key: string, max: number, windowMs: number, count?: number): Promise<LogDecision>;
  close(): Promise<void>;
}

export const dayMs = 86_400_000;
