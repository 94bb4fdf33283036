// Per-key rate limits on the write endpoints: one token bucket per write key's name, counted in
// records (a batch of 500 costs 500), refilled at `ratePerSecond` up to `burst`. A request larger
// than the whole bucket costs the whole bucket, so that no request is refused forever.

export interface RateLimit {
  /** records per second, per key */
  ratePerSecond: number;
  /** records a key may send at once after a pause */
  burst: number;
}

export interface RateLimiter {
  /** 0 if the key may send `records` now (they are counted), else the seconds until it may. */
  take(key: string, records: number): number;
}

export function createRateLimiter(
  limit: RateLimit,
  now: () => number = () => performance.now(),
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, records) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: limit.burst, at: t };
      b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.ratePerSecond);
      b.at = t;
      buckets.set(key, b);
      const cost = Math.min(records, limit.burst);
      if (b.tokens >= cost) {
        b.tokens -= cost;
        return 0;
      }
      return Math.max(1, Math.ceil((cost - b.tokens) / limit.ratePerSecond));
    },
  };
}

/**
 * One process's share of a key's limit when `processes` serve the API (API_PROCESSES): each holds
 * its own buckets, so each enforces 1/N of the rate and of the burst, and the N together enforce
 * the configured limit. The cluster hands connections out in turn, so a client spreading its
 * requests over several connections gets the whole limit; one on a single keep-alive connection
 * reaches one process and gets 1/N of it.
 */
export function shareOfLimit(limit: RateLimit, processes: number): RateLimit {
  return {
    ratePerSecond: limit.ratePerSecond / processes,
    burst: Math.max(1, Math.floor(limit.burst / processes)),
  };
}
