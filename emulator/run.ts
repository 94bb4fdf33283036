// The posting loops: like the original run_infinite_post_data_loop, pick a random post, send its
// pin, geo and user records, sleep, repeat — with a rate, limits, parallel loops and a summary.
import { setTimeout as delay } from 'node:timers/promises';
import { SimpleFaker } from '@faker-js/faker';
import { ENTITIES } from '../domain/wire.ts';
import type { PostRecord } from './ingest-client.ts';
import { createRecordSender } from './record-sender.ts';
import { createSeededRandomizer } from './seeded-random.ts';
import type { SourceReader } from './source-db.ts';
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
  concurrency: number;
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
  constructor(readonly ind: number) {
    super(`post ${ind} is missing from the source tables: re-run \`npm run seed\``);
  }
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/** Spaces posts evenly over all loops; a loop that falls behind does not burst to catch up. */
function createPacer(intervalMs: number) {
  let next = -Infinity;
  return (now: number): number => {
    const slot = Math.max(next, now);
    next = slot + intervalMs;
    return slot - now;
  };
}

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
  const pace = options.rate ? createPacer((ENTITIES.length * 1000) / options.rate) : undefined;
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

  async function loop(worker: number): Promise<void> {
    const random = new SimpleFaker({ randomizer: createSeededRandomizer([options.seed, worker]) });
    while (stop.claimPost()) {
      if (pace) await pause(pace(now()));
      if (!stop.running()) return;
      await sendPost(random.number.int({ max: posts - 1 }));
      if (!pace) await pause(random.number.float({ max: ORIGINAL_MAX_SLEEP_MS }));
    }
  }

  const loops = await Promise.allSettled(
    Array.from({ length: options.concurrency }, (_, worker) =>
      loop(worker).catch((err: unknown) => {
        stop.halt('signal'); // one failing loop (the source database gone) stops the others
        throw err;
      }),
    ),
  );
  const failed = loops.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return summarize(tally, { seed: options.seed, elapsedMs: now() - started, stoppedBy: stop.reason() });
}
