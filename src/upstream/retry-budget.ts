/**
 * Envoy-style retry budget for one service: retries may be at most `ratio` of the calls made
 * in the last `windowMs` (plus a small floor so a quiet service can still retry at all). When a
 * service is failing, every call wants a retry; the budget is what keeps retries from doubling
 * the load on it.
 */
export interface RetryBudget {
  /** Counts a first attempt. */
  recordCall(): void;
  /** Takes one retry from the budget if there is room; false when spent. */
  tryAcquire(): boolean;
}

export interface RetryBudgetOptions {
  ratio?: number;
  minRetriesPerWindow?: number;
  windowMs?: number;
  now?: () => number;
}

const buckets = 10;

/** Creates a budget over a sliding window of ten buckets. */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const floor = options.minRetriesPerWindow ?? 3;
  const bucketMs = (options.windowMs ?? 10_000) / buckets;
  const now = options.now ?? (() => performance.now());
  const calls = new Array<number>(buckets).fill(0);
  const retries = new Array<number>(buckets).fill(0);
  let current = Math.floor(now() / bucketMs);

  // Moves the window forward, zeroing the buckets that fell out of it.
  const advance = (): number => {
    const bucket = Math.floor(now() / bucketMs);
    for (let b = current + 1; b <= bucket && b <= current + buckets; b++) {
      calls[b % buckets] = 0;
      retries[b % buckets] = 0;
    }
    current = Math.max(current, bucket);
    return current % buckets;
  };
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  return {
    recordCall() {
      calls[advance()]! += 1;
    },
    tryAcquire() {
      const slot = advance();
      if (sum(retries) >= Math.max(floor, ratio * sum(calls))) return false;
      retries[slot]! += 1;
      return true;
    },
  };
}
