// Starting the speed layer's streams: the workflow input each stream gets from the configuration.
import type { Client } from '@temporalio/client';
import { startSignal, streamName, streamWorkflowId } from '../domain/stream-wire.ts';
import { deadLetterTopic, entityTopic, SEARCH_ATTRIBUTES, type Entity } from '../domain/wire.ts';
import type { Config } from '../infra/config.ts';
import { stream, type StreamInput } from '../workflows/stream.ts';

export function streamInput(config: Config, entity: Entity): StreamInput {
  return {
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
    workflowId: streamWorkflowId(input.stream),
    taskQueue: config.PIPELINE_TASK_QUEUE,
    args: [input],
    signal: startSignal,
    signalArgs: [],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.streamName, value: input.stream },
      { key: SEARCH_ATTRIBUTES.streamPaused, value: false },
      { key: SEARCH_ATTRIBUTES.streamRetrying, value: false },
    ],
    memo: { entity: input.entity, topic: input.topic, schema: input.schema },
  });
}
