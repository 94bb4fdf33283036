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
  state: 'running' | 'idle' | 'pausing' | 'paused' | 'stopping' | 'stopped';
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
}

export const statusQuery = defineQuery<StreamStatus>('status');
