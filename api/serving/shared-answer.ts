// One computation shared by every caller for a short while: dashboards refreshing every few seconds
// and any number of clients cost one set of queries per period, not one per request. Per process:
// with API_PROCESSES=N that is at most N per period, which is cheap, where sharing it across the
// cluster would put the primary on every read's path.

/**
 * Computes at most once per `maxAgeMs`, one computation at a time: callers during a computation wait
 * for it, callers within `maxAgeMs` of its end get its answer. A failure is not kept: the next call
 * computes again.
 */
export function sharedAnswer<T>(compute: () => Promise<T>, maxAgeMs: number): () => Promise<T> {
  let last: { at: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  return async (): Promise<T> => {
    if (last && Date.now() - last.at < maxAgeMs) return last.value;
    inFlight ??= compute()
      .then((value) => {
        last = { at: Date.now(), value };
        return value;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
