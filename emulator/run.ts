// The posting loops: like the original run_infinite_post_data_loop, pick a random post, send its
// pin, geo and user records, sleep, repeat — with a rate, limits, parallel loops and a summary.
import { setTimeout as delay } from 'node:timers/promises';
import { SimpleFaker } from '@faker-js/faker';
import { ENTITIES } from '../domain/wire.ts';
import type { PostRecord } from './ingest-client.ts';
import { createRecordSender } from './record-sender.ts';
import { createSeededRandomizer } from './seeded-random.ts';
import type { SourceReader } from './source-db.ts';
import { MAX_CONCURRENCY } from './options.ts';
import { createTally, summarize, type StopReason, type Summary, type Tally } from './stats.ts';

export { MAX_RETRIES } from './record-sender.ts';

export interface RunOptions {
  seed: number;
  /** records per second over all loops; without it, the original's random sleep after each post */
  rate?: number;
  /** seconds */
  duration?: number;
  /** posts */
  count?: number;
  /**
   * Parallel posting loops. Left out: one loop, or with a rate as many as it needs — another loop
   * starts whenever the schedule falls behind, up to MAX_CONCURRENCY.
   */
  concurrency?: number;
}

export interface EmulatorDeps {
  source: Pick<SourceReader, 'seedInfo' | 'readPost'>;
  post: PostRecord;
  /** aborting it stops the run: in-flight posts finish, then the summary */
  signal?: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  /** after every record and post, for a progress display */
  onProgress?: (tally: Tally) => void;
}

/** The original slept a random 0–2 s after each post. */
export const ORIGINAL_MAX_SLEEP_MS = 2_000;

export class MissingPostError extends Error {
  override readonly name = 'MissingPostError';
  readonly ind: number;
  constructor(ind: number) {
    super(`post ${ind} is missing from the source tables: re-run \`npm run seed\``);
    this.ind = ind;
  }
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * Spaces posts evenly over all loops; a loop that falls behind does not burst to catch up. Each call
 * takes the next slot: how long to wait for it, and how late the schedule already was (0 on time).
 */
function createPacer(intervalMs: number) {
  let next = -Infinity;
  return (now: number): { waitMs: number; lateMs: number } => {
    const lateMs = next === -Infinity ? 0 : Math.max(0, now - next);
    const slot = Math.max(next, now);
    next = slot + intervalMs;
    return { waitMs: slot - now, lateMs };
  };
}

/**
 * Another loop starts when the slots are late by more than a quarter of a slot on average (a moving
 * average over the last few slots), at most once every few slots so that the last one shows first.
 */
const LATENESS_SMOOTHING = 0.2;
const SLOTS_BETWEEN_NEW_LOOPS = 3;

/** When to stop: Ctrl-C, a refused API key, the deadline or the post count, whichever comes first. */
function createStopper(options: RunOptions, now: () => number, signal?: AbortSignal) {
  const halted = new AbortController();
  const deadline = options.duration === undefined ? Infinity : now() + options.duration * 1000;
  let reason: StopReason | undefined;
  let claimed = 0;
  const halt = (why: StopReason) => {
    reason ??= why;
    halted.abort();
  };
  if (signal?.aborted) halt('signal');
  signal?.addEventListener('abort', () => halt('signal'), { once: true });
  const running = () => {
    if (now() >= deadline) reason ??= 'duration';
    return !halted.signal.aborted && now() < deadline;
  };
  return {
    signal: halted.signal,
    halt,
    running,
    reason: () => reason ?? 'signal',
    /** time left before the deadline, for sleeps that must not outlast it */
    remaining: () => Math.max(0, deadline - now()),
    claimPost(): boolean {
      if (!running()) return false;
      if (options.count !== undefined && claimed >= options.count) {
        reason ??= 'count';
        return false;
      }
      claimed++;
      return true;
    },
  };
}

export async function runEmulator(options: RunOptions, deps: EmulatorDeps): Promise<Summary> {
  const now = deps.now ?? (() => performance.now());
  const sleep = deps.sleep ?? abortableSleep;
  const { posts } = await deps.source.seedInfo();
  const tally = createTally();
  const started = now();
  const stop = createStopper(options, now, deps.signal);
  const intervalMs = options.rate ? (ENTITIES.length * 1000) / options.rate : 0;
  const pace = options.rate ? createPacer(intervalMs) : undefined;
  const elastic = options.concurrency === undefined && pace !== undefined;
  let lateness = 0;
  let slotsSinceNewLoop = 0;
  const pause = (ms: number) => sleep(Math.min(ms, stop.remaining()), stop.signal);
  const send = createRecordSender({
    post: deps.post,
    tally,
    now,
    sleep,
    signal: stop.signal,
    onUnauthorized: () => stop.halt('unauthorized'),
  });

  async function sendPost(ind: number): Promise<void> {
    const post = await deps.source.readPost(ind);
    if (!post) throw new MissingPostError(ind);
    // A post goes out whole even after Ctrl-C; after a refused API key every request would fail.
    for (const entity of ENTITIES) {
      if (stop.reason() === 'unauthorized') return;
      await send(entity, post[entity]);
      deps.onProgress?.(tally);
    }
    tally.posts++;
    deps.onProgress?.(tally);
  }

  const loops: Promise<void>[] = [];
  let failure: { reason: unknown } | undefined;
  function startLoop(): void {
    const worker = loops.length;
    tally.loops = worker + 1;
    loops.push(
      loop(worker).catch((reason: unknown) => {
        failure ??= { reason };
        stop.halt('signal'); // one failing loop (the source database gone) stops the others
      }),
    );
  }

  /** With a rate and no --concurrency: one more loop when the schedule keeps falling behind. */
  function keepUp(lateMs: number): void {
    lateness += (lateMs - lateness) * LATENESS_SMOOTHING;
    slotsSinceNewLoop++;
    if (!elastic || lateness <= intervalMs / 4 || slotsSinceNewLoop < SLOTS_BETWEEN_NEW_LOOPS) return;
    if (loops.length >= MAX_CONCURRENCY) return;
    slotsSinceNewLoop = 0;
    startLoop();
  }

  async function loop(worker: number): Promise<void> {
    const random = new SimpleFaker({ randomizer: createSeededRandomizer([options.seed, worker]) });
    while (stop.claimPost()) {
      if (pace) {
        const { waitMs, lateMs } = pace(now());
        keepUp(lateMs);
        await pause(waitMs);
      }
      if (!stop.running()) return;
      await sendPost(random.number.int({ max: posts - 1 }));
      if (!pace) await pause(random.number.float({ max: ORIGINAL_MAX_SLEEP_MS }));
    }
  }

  for (let i = 0; i < (options.concurrency ?? 1); i++) startLoop();
  // Loops start only while others run: once every loop in the list has ended, none is left.
  for (let i = 0; i < loops.length; i++) await loops[i];
  if (failure) throw failure.reason;
  return summarize(tally, {
    seed: options.seed,
    elapsedMs: now() - started,
    stoppedBy: stop.reason(),
    loops: loops.length,
    ...(options.rate !== undefined && { rateAsked: options.rate }),
    loopsChosen: options.concurrency === undefined ? 'auto' : 'fixed',
  });
}
