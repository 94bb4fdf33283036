import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { MicroBatchResult, StreamActivities } from '../activities/stream.ts';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type StreamStatus,
} from '../domain/stream-wire.ts';
import { SEARCH_ATTRIBUTES, type Entity } from '../domain/wire.ts';

export interface StreamInput {
  stream: string;
  entity: Entity;
  topic: string;
  deadLetterTopic: string;
  schema: string;
  maxRecordsPerPartition: number;
  /** How long one micro-batch waits for a first record before it counts as idle. */
  maxWaitMs: number;
  /** Bounded back-off between idle micro-batches (Temporal timers). */
  idleBackoffMs: { initial: number; max: number };
  /** Continue as new after this many micro-batches, even if the server does not suggest it yet. */
  maxBatchesPerRun: number;
  /** Heartbeat timeout of a micro-batch; it must exceed maxWaitMs. Default 10 s. */
  heartbeatTimeoutMs?: number;
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
}

function microBatchActivity(heartbeatTimeoutMs: number) {
  return proxyActivities<StreamActivities>({
    startToCloseTimeout: '2 minutes',
    // A worker that dies mid-batch is noticed this fast, and the batch retried on another one.
    heartbeatTimeout: heartbeatTimeoutMs,
    // PostgreSQL or Kafka down: retry with back-off until they return, visibly, never give up.
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      nonRetryableErrorTypes: ['InvalidStreamInput'],
    },
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
  let stopping = false;
  let idle = 0;
  let inFlight = false;
  const runMicroBatch = microBatchActivity(input.heartbeatTimeoutMs ?? 10_000);

  const status = (): StreamStatus => ({
    stream: input.stream,
    entity: input.entity,
    topic: input.topic,
    // Pause and stop take effect once the micro-batch in flight has committed.
    state: stopping
      ? inFlight
        ? 'stopping'
        : 'stopped'
      : c.paused
        ? inFlight
          ? 'pausing'
          : 'paused'
        : idle > 0
          ? 'idle'
          : 'running',
    totals: c.totals,
    partitions: c.partitions,
    lag: c.partitions.reduce((n, p) => n + p.lag, 0),
    lastBatch: c.lastBatch,
    newestRecordTime: c.newestRecordTime,
    generation: c.generation,
  });
  const setPaused = (paused: boolean) => {
    c.paused = paused;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.streamPaused, value: paused }]);
  };
  setHandler(statusQuery, status);
  setHandler(pauseSignal, () => setPaused(true));
  setHandler(resumeSignal, () => setPaused(false));
  setHandler(stopSignal, () => {
    stopping = true;
  });
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.streamName, value: input.stream },
    { key: SEARCH_ATTRIBUTES.streamPaused, value: c.paused },
  ]);

  for (let batches = 0; !stopping;) {
    if (c.paused) {
      await condition(() => !c.paused || stopping);
      continue;
    }
    if (batches >= input.maxBatchesPerRun || workflowInfo().continueAsNewSuggested) break;
    inFlight = true;
    const result = await runMicroBatch({
      stream: input.stream,
      entity: input.entity,
      topic: input.topic,
      deadLetterTopic: input.deadLetterTopic,
      schema: input.schema,
      maxRecordsPerPartition: input.maxRecordsPerPartition,
      maxWaitMs: input.maxWaitMs,
    });
    inFlight = false;
    batches++;
    record(c, result);
    if (result.read > 0) {
      idle = 0;
      continue;
    }
    idle++;
    const backoff = Math.min(input.idleBackoffMs.initial * 2 ** (idle - 1), input.idleBackoffMs.max);
    // A timer, cut short by pause or stop.
    await condition(() => stopping || c.paused, backoff);
  }

  if (stopping) return { ...status(), state: 'stopped' };
  await condition(allHandlersFinished);
  return continueAsNew<typeof stream>({ ...input, carried: { ...c, generation: c.generation + 1 } });
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
