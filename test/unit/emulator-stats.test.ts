import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLatencyHistogram } from '../../emulator/latency-histogram.ts';
import { createTally, fallingBehind, formatSummary, summarize } from '../../emulator/stats.ts';

/** Nearest-rank percentile over sorted values: the definition the histogram approximates. */
function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

test('percentiles of an empty histogram are 0', () => {
  const h = createLatencyHistogram();
  assert.equal(h.percentile(50), 0);
  assert.equal(h.max, 0);
  assert.equal(h.count, 0);
});

test('percentiles are within 1% of the exact nearest-rank value; max is exact', () => {
  const h = createLatencyHistogram();
  const values: number[] = [];
  let x = 7;
  for (let i = 0; i < 10_000; i++) {
    x = (x * 48271) % 2147483647; // a fixed pseudo-random sequence: the test is repeatable
    const ms = 0.2 + ((x % 100_000) / 100) ** 1.5;
    values.push(ms);
    h.record(ms);
  }
  values.sort((a, b) => a - b);
  for (const p of [1, 50, 90, 99, 99.9, 100]) {
    const exact = exactPercentile(values, p);
    const approx = h.percentile(p);
    assert.ok(Math.abs(approx - exact) <= exact * 0.01, `p${p}: ${approx} vs ${exact}`);
  }
  assert.equal(h.max, values.at(-1));
  assert.equal(h.count, 10_000);
});

test('a single value is every percentile', () => {
  const h = createLatencyHistogram();
  h.record(12.5);
  for (const p of [0, 50, 100]) assert.equal(h.percentile(p), 12.5);
});

test('the summary adds up the entities and computes the rate', () => {
  const tally = createTally();
  tally.posts = 2;
  tally.retries = 3;
  for (const outcome of ['accepted', 'accepted', 'rejected'] as const) tally.record('pin', outcome);
  tally.record('geo', 'accepted');
  tally.record('user', 'error');
  tally.latency.record(10);
  tally.latency.record(20);
  tally.lastError = 'user: HTTP 500';
  const s = summarize(tally, {
    seed: 9,
    elapsedMs: 2_000,
    stoppedBy: 'count',
    loops: 1,
    loopsChosen: 'fixed',
  });
  assert.deepEqual(
    { sent: s.sent, accepted: s.accepted, rejected: s.rejected, errors: s.errors, retries: s.retries },
    { sent: 5, accepted: 3, rejected: 1, errors: 1, retries: 3 },
  );
  assert.equal(s.recordsPerSecond, 2.5);
  assert.equal(s.durationSeconds, 2);
  assert.deepEqual(s.entities.pin, { sent: 3, accepted: 2, rejected: 1, errors: 0 });
  assert.equal(s.latencyMs.max, 20);
  assert.equal(s.latencyMs.p50, 10);
  assert.equal(s.lastError, 'user: HTTP 500');
  assert.equal(s.lastRejection, undefined);
  tally.record('geo', 'accepted');
  assert.equal(s.entities.geo.accepted, 1, 'the summary is a snapshot');

  const text = formatSummary(s);
  assert.match(text, /2 posts in 2\.0 s \(seed 9, stopped by count\)/);
  assert.match(text, /5 sent: 3 accepted, 1 rejected, 1 errors, 3 retries/);
  assert.match(text, /p50 10 ms/);
  assert.match(text, /last error: user: HTTP 500/);
});

test('a run of no time has a rate of 0, not Infinity', () => {
  const s = summarize(createTally(), {
    seed: 1,
    elapsedMs: 0,
    stoppedBy: 'signal',
    loops: 1,
    loopsChosen: 'fixed',
  });
  assert.equal(s.recordsPerSecond, 0);
  assert.deepEqual(s.latencyMs, { p50: 0, p90: 0, p99: 0, max: 0 });
});

test('falling behind --rate is said with what to change; keeping up is not', () => {
  assert.equal(fallingBehind(300, 290, 1, 'fixed', 7), undefined, 'within 5%');
  const fixed = fallingBehind(300, 106, 1, 'fixed', 7);
  assert.match(fixed ?? '', /behind --rate 300: 106 records\/s delivered with 1 loop\(s\)/);
  assert.match(
    fixed ?? '',
    /leave out --concurrency .* or give --concurrency 4/,
    '300/s × 7 ms × 1.5 = 3.2 → 4',
  );
  assert.match(fallingBehind(300, 100, 256, 'auto', 900) ?? '', /the API is the limit/);
  assert.match(fallingBehind(300, 100, 3, 'auto', 30) ?? '', /still adding loops/);

  const tally = createTally();
  for (let i = 0; i < 106; i++) tally.record('pin', 'accepted');
  tally.latency.record(7);
  const facts = { seed: 1, elapsedMs: 1_000, stoppedBy: 'duration', loops: 1 } as const;
  const behind = formatSummary(summarize(tally, { ...facts, loopsChosen: 'fixed', rateAsked: 300 }));
  assert.match(behind, /rate {5}106 records\/s \(asked 300\), 1 loop\(s\) \(--concurrency\)/);
  assert.match(behind, /warning: behind --rate 300/);
  const kept = formatSummary(summarize(tally, { ...facts, loopsChosen: 'auto', rateAsked: 100 }));
  assert.match(kept, /\(asked 100, kept up\), 1 loop\(s\) \(chosen for the rate\)/);
  assert.doesNotMatch(kept, /warning/);
});
