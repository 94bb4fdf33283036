// Latency percentiles in bounded memory: an emulator left running for days records millions of
// requests. Log-spaced buckets 1% wide, each remembering the largest value it holds: a percentile
// is always a latency actually seen, within 1% of the exact nearest-rank value.

const SMALLEST_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  readonly max: number;
  /** nearest-rank percentile, p in 0..100; 0 when nothing was recorded */
  percentile(p: number): number;
}

function bucketOf(ms: number): number {
  return ms <= SMALLEST_MS ? 0 : Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH);
}

export function createLatencyHistogram(): LatencyHistogram {
  const buckets = new Map<number, { count: number; max: number }>();
  let count = 0;
  let max = 0;
  return {
    record(ms) {
      const value = Math.max(0, ms);
      const bucket = buckets.get(bucketOf(value));
      if (bucket) {
        bucket.count++;
        bucket.max = Math.max(bucket.max, value);
      } else buckets.set(bucketOf(value), { count: 1, max: value });
      count++;
      max = Math.max(max, value);
    },
    get count() {
      return count;
    },
    get max() {
      return max;
    },
    percentile(p) {
      if (count === 0) return 0;
      const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * count));
      let seen = 0;
      for (const key of [...buckets.keys()].sort((a, b) => a - b)) {
        const bucket = buckets.get(key)!;
        seen += bucket.count;
        if (seen >= rank) return bucket.max;
      }
      return max;
    },
  };
}
