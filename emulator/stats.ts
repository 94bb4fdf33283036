// The emulator's counts and its end-of-run summary (pure: no clock, no I/O).
import { ENTITIES, type Entity } from '../domain/wire.ts';
import { createLatencyHistogram, type LatencyHistogram } from './latency-histogram.ts';
import { MAX_CONCURRENCY } from './options.ts';

export type Outcome = 'accepted' | 'rejected' | 'error';
export type StopReason = 'count' | 'duration' | 'signal' | 'unauthorized';

export interface EntityCounts {
  sent: number;
  accepted: number;
  rejected: number;
  errors: number;
}

export interface Tally {
  posts: number;
  retries: number;
  /** posting loops running */
  loops: number;
  lastRejection?: string;
  lastError?: string;
  readonly entities: Record<Entity, EntityCounts>;
  readonly latency: LatencyHistogram;
  record(entity: Entity, outcome: Outcome): void;
}

export interface Summary extends EntityCounts {
  seed: number;
  posts: number;
  retries: number;
  stoppedBy: StopReason;
  durationSeconds: number;
  recordsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  entities: Record<Entity, EntityCounts>;
  /** posting loops at the end of the run, and whether --concurrency fixed them or the rate chose */
  loops: number;
  loopsChosen: 'auto' | 'fixed';
  /** --rate, when given */
  rateAsked?: number;
  /** the API's answer to the last rejected record, the last error: what to look at first */
  lastRejection?: string;
  lastError?: string;
}

const COUNTER_OF: Record<Outcome, keyof EntityCounts> = {
  accepted: 'accepted',
  rejected: 'rejected',
  error: 'errors',
};

const zeroCounts = (): EntityCounts => ({ sent: 0, accepted: 0, rejected: 0, errors: 0 });

export function createTally(): Tally {
  const entities = Object.fromEntries(ENTITIES.map((e) => [e, zeroCounts()])) as Record<Entity, EntityCounts>;
  return {
    posts: 0,
    retries: 0,
    loops: 0,
    entities,
    latency: createLatencyHistogram(),
    record(entity, outcome) {
      entities[entity].sent++;
      entities[entity][COUNTER_OF[outcome]]++;
    },
  };
}

export function totals(tally: Tally): EntityCounts {
  const sum = zeroCounts();
  for (const counts of Object.values(tally.entities)) {
    for (const key of Object.keys(sum) as (keyof EntityCounts)[]) sum[key] += counts[key];
  }
  return sum;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Below this share of --rate, a run fell behind it. */
export const KEEPING_UP = 0.95;

export interface RunFacts {
  seed: number;
  elapsedMs: number;
  stoppedBy: StopReason;
  loops: number;
  loopsChosen: 'auto' | 'fixed';
  rateAsked?: number;
}

export function summarize(tally: Tally, run: RunFacts): Summary {
  const total = totals(tally);
  const seconds = run.elapsedMs / 1000;
  const ms = (p: number) => round(tally.latency.percentile(p), 1);
  return {
    seed: run.seed,
    posts: tally.posts,
    ...total,
    retries: tally.retries,
    stoppedBy: run.stoppedBy,
    durationSeconds: round(seconds, 3),
    recordsPerSecond: seconds > 0 ? round(total.sent / seconds, 1) : 0,
    latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), max: round(tally.latency.max, 1) },
    entities: structuredClone(tally.entities),
    loops: run.loops,
    loopsChosen: run.loopsChosen,
    ...(run.rateAsked !== undefined && { rateAsked: run.rateAsked }),
    ...(tally.lastRejection && { lastRejection: tally.lastRejection }),
    ...(tally.lastError && { lastError: tally.lastError }),
  };
}

const countsLine = (c: EntityCounts) =>
  `${c.sent} sent: ${c.accepted} accepted, ${c.rejected} rejected, ${c.errors} errors`;

/**
 * Why a run delivers less than --rate asks, and what to change; undefined while it keeps up.
 * `loops` posting loops each send one request at a time, `p50Ms` apart.
 */
export function fallingBehind(
  asked: number,
  delivered: number,
  loops: number,
  loopsChosen: 'auto' | 'fixed',
  p50Ms: number,
): string | undefined {
  if (delivered >= asked * KEEPING_UP) return undefined;
  const head = `behind --rate ${asked}: ${delivered} records/s delivered with ${loops} loop(s) sending one request at a time (p50 ${p50Ms} ms)`;
  if (loopsChosen === 'fixed') {
    const needed =
      p50Ms > 0 ? Math.min(MAX_CONCURRENCY, Math.ceil(((asked * p50Ms) / 1000) * 1.5)) : loops + 1;
    return `${head}; leave out --concurrency to let the emulator choose, or give --concurrency ${Math.max(needed, loops + 1)}`;
  }
  if (loops >= MAX_CONCURRENCY) return `${head}, the most it starts; the API is the limit (see its latency)`;
  return `${head}; still adding loops`;
}

/** The summary as a person reads it at the end of a run. */
export function formatSummary(s: Summary): string {
  const { p50, p90, p99, max } = s.latencyMs;
  const behind =
    s.rateAsked === undefined || s.stoppedBy === 'unauthorized'
      ? undefined
      : fallingBehind(s.rateAsked, s.recordsPerSecond, s.loops, s.loopsChosen, p50);
  const asked = s.rateAsked === undefined ? '' : ` (asked ${s.rateAsked}${behind ? '' : ', kept up'})`;
  return [
    `emulator: ${s.posts} posts in ${s.durationSeconds.toFixed(1)} s (seed ${s.seed}, stopped by ${s.stoppedBy})`,
    `  records  ${countsLine(s)}, ${s.retries} retries`,
    `  rate     ${s.recordsPerSecond} records/s${asked}, ${s.loops} loop(s) (${s.loopsChosen === 'auto' ? 'chosen for the rate' : '--concurrency'})`,
    ...(behind ? [`  warning: ${behind}`] : []),
    `  latency  p50 ${p50} ms, p90 ${p90} ms, p99 ${p99} ms, max ${max} ms`,
    ...ENTITIES.map((e) => `  ${e.padEnd(8)} ${countsLine(s.entities[e])}`),
    ...(s.lastRejection ? [`  last rejection: ${s.lastRejection}`] : []),
    ...(s.lastError ? [`  last error: ${s.lastError}`] : []),
  ].join('\n');
}
