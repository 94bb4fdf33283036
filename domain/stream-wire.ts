// The speed layer's public contract: workflow ids, signals and the status query.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Entity } from './wire.ts';

/** One stream per topic: `stream-pin`, `stream-geo`, `stream-user` (after STREAM_ID_PREFIX, if set). */
export function streamName(entity: Entity, prefix = ''): string {
  return `${prefix}stream-${entity}`;
}

/** The workflow id is the stream's name: starting a stream twice finds the running one. */
export const streamWorkflowId = (stream: string): string => stream;

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Finish the current micro-batch, then end the workflow. */
export const stopSignal = defineSignal('stop');
/**
 * Keep running: sent with signal-with-start by `stream:start`, so a stop still waiting to be taken
 * (no worker ran since it was sent) is withdrawn instead of ending the stream just started.
 */
export const startSignal = defineSignal('start');

export interface StreamPartitionStatus {
  partition: number;
  nextOffset: string;
  highWatermark: string;
  lag: number;
}

export interface StreamStatus {
  stream: string;
  entity: Entity;
  topic: string;
  state: 'running' | 'idle' | 'retrying' | 'pausing' | 'paused' | 'stopping' | 'stopped';
  /** read = cleaned + deadLettered, each record once, as committed in PostgreSQL. */
  totals: {
    batches: number;
    read: number;
    cleaned: number;
    deadLettered: number;
    skippedByRetention: number;
  };
  partitions: StreamPartitionStatus[];
  lag: number;
  lastBatch: {
    finishedAt: number;
    durationMs: number;
    read: number;
    /** Commit time minus the oldest record's Kafka timestamp, for the last batch that read records. */
    maxFreshnessMs: number | null;
  } | null;
  /** Kafka timestamp (ms) of the newest record applied: freshness = now - this. */
  newestRecordTime: number | null;
  /** How many times this stream continued as new (the run's history stays small). */
  generation: number;
  /** Set while micro-batches fail: the stream retries them with back-off until one commits. */
  retrying: StreamRetrying | null;
}

export interface StreamRetrying {
  /** Failed micro-batch attempts in a row. */
  attempts: number;
  /** When the first of them failed (ms since the epoch). */
  since: number;
  lastFailure: { type: string; message: string; at: number };
  /** When the next attempt starts (ms since the epoch), while waiting for it. */
  nextAttemptAt: number | null;
}

export const statusQuery = defineQuery<StreamStatus>('status');

/**
 * A stream as its readers see it (`stream:status`, `/v1/pipeline/status`, the dashboard): the
 * workflow's own answer, and what holds whether or not it answers — the lag against Kafka's current
 * high watermarks from the checkpoints PostgreSQL holds, and signals no worker has taken yet.
 */
export interface StreamView {
  stream: string;
  entity: Entity;
  workflowId: string;
  state: StreamStatus['state'] | 'not running' | 'not answering';
  /** The status query's answer; null when the stream is not running or does not answer. */
  status: StreamStatus | null;
  /** Why the status query failed, when state is 'not answering'. */
  error?: string;
  /** Signals sent but not yet taken by a worker (`stop`, `pause`, …), when state is 'not answering'. */
  pendingSignals?: string[];
  /** Records in Kafka not yet applied, now; null when Kafka or PostgreSQL could not be asked. */
  lag: number | null;
  partitions: StreamPartitionStatus[];
  /** Why the lag could not be measured now (then `partitions` are the last batch's). */
  lagError?: string;
}
