// The speed layer's public contract: workflow ids, signals and the status query.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Entity } from './wire.ts';

/** One stream per topic: `stream-pin`, `stream-geo`, `stream-user` (after STREAM_ID_PREFIX, if set). */
export function streamName(entity: Entity, prefix = ''): string {
  return `${prefix}stream-${entity}`;
}

/** The workflow id is the stream's name: starting a stream twice finds the running one. */
export const streamWorkflowId = (stream: string): string => stream;

/**
 * One of the K workflows a topic's stream runs as. Shard i owns the partitions p with p mod K = i: a
 * fixed set for a given K, and a partition added to the topic is owned at once by the shard it falls
 * to. The checkpoints stay per partition, under the stream's name, whatever K is: re-sharding (stop,
 * change STREAM_SHARDS, start) goes on from the same offsets.
 */
export interface StreamShard {
  index: number;
  count: number;
}

export const SINGLE_SHARD: StreamShard = { index: 0, count: 1 };

/** By default a shard owns up to this many partitions: 1 shard for up to 4 partitions, 3 for 12. */
export const PARTITIONS_PER_SHARD = 4;

export function defaultShardCount(partitions: number): number {
  return Math.max(1, Math.ceil(partitions / PARTITIONS_PER_SHARD));
}

export function ownsPartition(shard: StreamShard | undefined, partition: number): boolean {
  return shard === undefined || partition % shard.count === shard.index;
}

/** The shards of a stream: `[{0,K}, …, {K-1,K}]`. */
export function streamShards(count: number): StreamShard[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
}

/**
 * A shard's workflow id: the stream's own name when it runs as one shard (as streams did before
 * shards, so a running stream keeps its id), `<stream>-<i>` otherwise: `stream-pin-0`, `stream-pin-1`.
 */
export function shardWorkflowId(stream: string, shard: StreamShard): string {
  return shard.count === 1 ? streamWorkflowId(stream) : `${streamWorkflowId(stream)}-${shard.index}`;
}

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
  /** Absent in streams started before shards: one shard. */
  shard?: StreamShard;
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
  shard: StreamShard;
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
