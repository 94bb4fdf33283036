// Starting the speed layer's streams: the workflow input each stream gets from the configuration.
import type { Client } from '@temporalio/client';
import type { Admin } from 'kafkajs';
import {
  shardWorkflowId,
  SINGLE_SHARD,
  startSignal,
  streamName,
  streamShards,
  type StreamShard,
} from '../domain/stream-wire.ts';
import { deadLetterTopic, entityTopic, SEARCH_ATTRIBUTES, type Entity } from '../domain/wire.ts';
import type { Config } from '../infra/config.ts';
import { runningShards, shardCount } from '../infra/stream-status.ts';
import { stream, type StreamInput } from '../workflows/stream.ts';

/** A stream's input; with `shard` of a stream of several shards, that shard's. */
export function streamInput(config: Config, entity: Entity, shard: StreamShard = SINGLE_SHARD): StreamInput {
  return {
    ...(shard.count === 1 ? {} : { shard }),
    stream: streamName(entity, config.STREAM_ID_PREFIX),
    entity,
    topic: entityTopic(config.KAFKA_TOPIC_PREFIX, entity),
    deadLetterTopic: deadLetterTopic(config.KAFKA_TOPIC_PREFIX),
    schema: config.STREAM_SCHEMA,
    maxRecordsPerPartition: config.STREAM_MAX_RECORDS_PER_PARTITION,
    maxWaitMs: config.STREAM_MAX_WAIT_MS,
    idleBackoffMs: { initial: 100, max: 2_000 },
    maxBatchesPerRun: config.STREAM_MAX_BATCHES_PER_RUN,
  };
}

/**
 * Starts the stream, or keeps the running one: signal-with-start sends `start`, which withdraws a stop
 * that no worker has taken yet, so a stream just started is never ended by an older stop.
 */
export async function startStream(client: Client, config: Config, input: StreamInput) {
  return client.workflow.signalWithStart(stream, {
    workflowId: shardWorkflowId(input.stream, input.shard ?? SINGLE_SHARD),
    taskQueue: config.PIPELINE_TASK_QUEUE,
    args: [input],
    signal: startSignal,
    signalArgs: [],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.streamName, value: input.stream },
      { key: SEARCH_ATTRIBUTES.streamPaused, value: false },
      { key: SEARCH_ATTRIBUTES.streamRetrying, value: false },
    ],
    memo: {
      entity: input.entity,
      topic: input.topic,
      schema: input.schema,
      shard: input.shard ?? SINGLE_SHARD,
    },
  });
}

/** Starting a stream with another shard count than it runs with: it must be stopped first. */
export class ReshardWhileRunningError extends Error {
  constructor(stream: string, running: number, wanted: number) {
    super(
      `${stream} runs as ${running} shard(s), not ${wanted}: stop it first (npm run stream:stop), ` +
        `then start it again; its offsets are kept per partition, so it goes on where it stopped`,
    );
    this.name = 'ReshardWhileRunningError';
  }
}

/**
 * Starts every shard of an entity's stream (STREAM_SHARDS, or one per 4 partitions of its topic), or
 * keeps the running ones. Refuses to start another count beside running shards: two counts at once
 * would be safe (each batch locks its partitions' checkpoints) but would do every batch twice over.
 * Returns the shards' workflow ids.
 */
export async function startStreamShards(
  client: Client,
  config: Config,
  admin: () => Promise<Admin>,
  entity: Entity,
): Promise<string[]> {
  const { stream, topic } = streamInput(config, entity);
  const count = await shardCount({ admin }, topic, config.STREAM_SHARDS);
  const running = await runningShards(client, stream);
  if (running.length > 0 && running.some((s) => s.count !== count)) {
    throw new ReshardWhileRunningError(stream, running[0]!.count, count);
  }
  const ids: string[] = [];
  for (const shard of streamShards(count)) {
    const input = streamInput(config, entity, shard);
    await startStream(client, config, input);
    ids.push(shardWorkflowId(stream, shard));
  }
  return ids;
}
