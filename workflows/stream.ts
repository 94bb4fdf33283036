import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MicroBatchInput, MicroBatchResult, StreamActivities } from '../activities/stream.ts';
import {
  pauseSignal,
  resumeSignal,
  startSignal,
  statusQuery,
  stopSignal,
  type StreamRetrying,
  type StreamStatus,
} from '../domain/stream-wire.ts';
import { innermostMessage } from '../domain/failures.ts';
import { SEARCH_ATTRIBUTES } from '../domain/wire.ts';

/** What each micro-batch is given (activities/stream.ts), and how the stream paces them. */
export interface StreamInput extends MicroBatchInput {
  /** Bounded back-off between idle micro-batches (Temporal timers). */
  idleBackoffMs: { initial: number; max: number };
  /** Continue as new after this many micro-batches, even if the server does not suggest it yet. */
  maxBatchesPerRun: number;
  /** Heartbeat timeout of a micro-batch: how soon a lost worker is noticed. Default 10 s. */
  heartbeatTimeoutMs?: number;
  /** Back-off between failed micro-batches. Default 1 s doubling to 30 s. */
  retryBackoffMs?: { initial: number; max: number };
  /** Carried across continue-as-new. */
  carried?: Carried;
}

interface Carried {
  paused: boolean;
  totals: StreamStatus['totals'];
  partitions: StreamStatus['partitions'];
  lastBatch: StreamStatus['lastBatch'];
  newestRecordTime: number | null;
  generation: number;
  retrying?: StreamRetrying | null;
}

const RETRY_BACKOFF_MS = { initial: 1_000, max: 30_000 };

/**
 * How long a batch sent to the worker that ran the last one may wait for it: past this the worker is
 * taken for gone, and the batch goes to the shared queue (any worker) after the usual retry back-off.
 */
const STICKY_SCHEDULE_TO_START = '5 seconds';

function microBatchActivity(heartbeatTimeoutMs: number, workerQueue?: string) {
  return proxyActivities<StreamActivities>({
    ...(workerQueue === undefined
      ? {}
      : { taskQueue: workerQueue, scheduleToStartTimeout: STICKY_SCHEDULE_TO_START }),
    startToCloseTimeout: '2 minutes',
    // A worker that dies mid-batch is noticed this fast, and the batch retried on another one.
    heartbeatTimeout: heartbeatTimeoutMs,
    // Each failed attempt comes back to the workflow, which retries it itself with back-off: so the
    // status query, the dashboard and the StreamRetrying search attribute show a failing stream (an
    // outage, a lost worker) from its first failure, and pause and stop still work meanwhile.
    retry: { maximumAttempts: 1 },
  }).runMicroBatch;
}

/** The speed layer: one long-running stream of micro-batches from a Kafka topic into PostgreSQL. */
export async function stream(input: StreamInput): Promise<StreamStatus> {
  const c: Carried = input.carried ?? {
    paused: false,
    totals: { batches: 0, read: 0, cleaned: 0, deadLettered: 0, skippedByRetention: 0 },
    partitions: [],
    lastBatch: null,
    newestRecordTime: null,
    generation: 0,
  };
  let retrying = c.retrying ?? null;
  let stopping = false;
  let idle = 0;
  let inFlight = false;
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? 10_000;
  const anyWorker = microBatchActivity(heartbeatTimeoutMs);
  // The worker that ran the last batch, which keeps the shard's partitions fetched: the next batch
  // goes to its own queue. Any failure, and each new run (continue-as-new), goes back to the shared
  // queue, which spreads shards over the workers. Decided from recorded results alone: replay-safe.
  let stickTo: string | undefined;
  const retryBackoff = input.retryBackoffMs ?? RETRY_BACKOFF_MS;

  const status = (): StreamStatus => ({
    stream: input.stream,
    ...(input.shard === undefined ? {} : { shard: input.shard }),
    entity: input.entity,
    topic: input.topic,
    // Pause and stop take effect once the micro-batch in flight has ended.
    state: stopping
      ? inFlight
        ? 'stopping'
        : 'stopped'
      : c.paused
        ? inFlight
          ? 'pausing'
          : 'paused'
        : retrying
          ? 'retrying'
          : idle > 0
            ? 'idle'
            : 'running',
    totals: c.totals,
    partitions: c.partitions,
    lag: c.partitions.reduce((n, p) => n + p.lag, 0),
    lastBatch: c.lastBatch,
    newestRecordTime: c.newestRecordTime,
    generation: c.generation,
    retrying,
  });
  const setPaused = (paused: boolean) => {
    c.paused = paused;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.streamPaused, value: paused }]);
  };
  const setRetrying = (next: StreamRetrying | null) => {
    if ((next === null) !== (retrying === null)) {
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.streamRetrying, value: next !== null }]);
    }
    retrying = next;
  };
  setHandler(statusQuery, status);
  setHandler(pauseSignal, () => setPaused(true));
  setHandler(resumeSignal, () => setPaused(false));
  setHandler(stopSignal, () => {
    stopping = true;
  });
  setHandler(startSignal, () => {
    stopping = false;
  });
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.streamName, value: input.stream },
    { key: SEARCH_ATTRIBUTES.streamPaused, value: c.paused },
    { key: SEARCH_ATTRIBUTES.streamRetrying, value: retrying !== null },
  ]);

  for (let batches = 0; ;) {
    if (stopping) {
      // A start signal that arrives with the stop withdraws it.
      await condition(allHandlersFinished);
      if (stopping) return { ...status(), state: 'stopped' };
      continue;
    }
    if (c.paused) {
      await condition(() => !c.paused || stopping);
      continue;
    }
    if (batches >= input.maxBatchesPerRun || workflowInfo().continueAsNewSuggested) break;
    inFlight = true;
    let result: MicroBatchResult;
    try {
      const runMicroBatch =
        stickTo === undefined ? anyWorker : microBatchActivity(heartbeatTimeoutMs, stickTo);
      result = await runMicroBatch({
        stream: input.stream,
        entity: input.entity,
        topic: input.topic,
        deadLetterTopic: input.deadLetterTopic,
        schema: input.schema,
        maxRecordsPerPartition: input.maxRecordsPerPartition,
        maxWaitMs: input.maxWaitMs,
        ...(input.shard === undefined ? {} : { shard: input.shard }),
      });
    } catch (err) {
      inFlight = false;
      batches++;
      stickTo = undefined;
      if (isPermanent(err)) throw err;
      const attempts = (retrying?.attempts ?? 0) + 1;
      const wait = Math.min(retryBackoff.initial * 2 ** (attempts - 1), retryBackoff.max);
      setRetrying({
        attempts,
        since: retrying?.since ?? Date.now(),
        lastFailure: { ...describeFailure(err), at: Date.now() },
        nextAttemptAt: Date.now() + wait,
      });
      // A timer, cut short by pause or stop.
      await condition(() => stopping || c.paused, wait);
      if (retrying) retrying.nextAttemptAt = null;
      continue;
    }
    inFlight = false;
    batches++;
    stickTo = result.workerQueue;
    setRetrying(null);
    record(c, result);
    if (result.read > 0) {
      idle = 0;
      continue;
    }
    idle++;
    const backoff = Math.min(input.idleBackoffMs.initial * 2 ** (idle - 1), input.idleBackoffMs.max);
    await condition(() => stopping || c.paused, backoff);
  }

  await condition(allHandlersFinished);
  return continueAsNew<typeof stream>({
    ...input,
    carried: { ...c, retrying, generation: c.generation + 1 },
  });
}

/** A micro-batch that failed with a non-retryable failure (a bad stream input) ends the stream. */
function isPermanent(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.nonRetryable === true
  );
}

/** The failure's type (PostgresUnavailable, a heartbeat timeout: the worker was lost) and its innermost message. */
function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  let type = 'Error';
  if (cause instanceof ApplicationFailure && cause.type) type = cause.type;
  // HEARTBEAT → HeartbeatTimeout: the worker running the batch died or hung.
  else if (cause instanceof TimeoutFailure) type = `${pascal(cause.timeoutType ?? '')}Timeout`;
  else if (cause instanceof Error) type = cause.name;
  return { type, message: innermostMessage(cause) };
}

function pascal(name: string): string {
  return name.toLowerCase().replace(/(?:^|_)([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

function record(c: Carried, r: MicroBatchResult): void {
  // Record counts come from PostgreSQL (committed with the offsets), not from adding up results:
  // a worker that dies after its commit never reports its batch, but the next one counts it.
  c.totals = {
    batches: c.totals.batches + 1,
    read: r.totals.applied,
    cleaned: r.totals.applied - r.totals.dead,
    deadLettered: r.totals.dead,
    skippedByRetention: c.totals.skippedByRetention + r.skippedByRetention,
  };
  c.partitions = r.partitions;
  if (r.read > 0) {
    c.lastBatch = {
      finishedAt: Date.now(),
      durationMs: r.durationMs,
      read: r.read,
      maxFreshnessMs: r.maxFreshnessMs,
    };
    c.newestRecordTime = Math.max(c.newestRecordTime ?? 0, r.newestRecordTime ?? 0);
  }
}
