// Export: the day's records of each topic, chosen by Kafka message timestamp, into the raw zone.
// The plan turns the day into offsets per partition (the first offset at or after the day's start,
// and the first at or after its end), so every record of the log lands in exactly one day even when
// a producer's clock makes timestamps slightly out of order near midnight. Each partition is then
// exported by its own activity (in a batch thread: export-partition.ts).
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import {
  BATCH_FAILURES,
  dayBounds,
  dayPrefix,
  isBatchDay,
  rawPartitionPrefix,
  type BatchDay,
} from '../../domain/batch-keys.ts';
import type { PartitionExport } from '../../domain/batch-report.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { against } from '../errors.ts';
import type { ExportProgress, PartitionPlan } from './export-partition.ts';
import { permanent } from './failures.ts';
import { deleteKeys, listKeys, type Bucket } from './s3-objects.ts';
import { batchThreads } from './threads.ts';

export type { PartitionPlan } from './export-partition.ts';

export interface ExportPlan {
  day: BatchDay;
  /** Whether the day had ended when its offsets were looked up. */
  dayComplete: boolean;
  partitions: PartitionPlan[];
}

interface Deps {
  kafkaAdmin: Admin;
  s3: S3Client;
  /** All of it: the batch threads make their own Kafka and S3 clients from it. */
  config: Config;
}

export function checkDay(day: string): { start: number; end: number } {
  if (!isBatchDay(day))
    throw permanent(BATCH_FAILURES.invalidDay, `not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return dayBounds(day);
}

export function createBatchExportActivities({ kafkaAdmin, s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  const root = config.BATCH_S3_PREFIX;
  const threads = batchThreads(config);

  async function planEntity(day: BatchDay, entity: Entity, topics: Set<string>): Promise<PartitionPlan[]> {
    const topic = entityTopic(config.KAFKA_TOPIC_PREFIX, entity);
    if (!topics.has(topic))
      throw permanent(BATCH_FAILURES.topicMissing, `Kafka topic ${topic} does not exist`);
    const { start, end } = dayBounds(day);
    const [starts, ends] = await against('kafka', () =>
      Promise.all([
        kafkaAdmin.fetchTopicOffsetsByTimestamp(topic, start),
        kafkaAdmin.fetchTopicOffsetsByTimestamp(topic, end),
      ]),
    );
    const partitions = starts.map((p) => p.partition).sort((a, b) => a - b);
    return partitions.map((partition) => {
      const startOffset = starts.find((p) => p.partition === partition)?.offset ?? '0';
      const endOffset = ends.find((p) => p.partition === partition)?.offset ?? startOffset;
      return { entity, topic, partition, partitions, startOffset, endOffset };
    });
  }

  /** Raw objects of the day outside the plan's partitions (the topic had more partitions once). */
  async function removeUnplannedPartitions(
    day: BatchDay,
    entity: Entity,
    plan: PartitionPlan[],
  ): Promise<void> {
    const planned = plan.map((p) => rawPartitionPrefix(root, entity, day, p.partition));
    const keys = await listKeys(bucket, dayPrefix(root, 'raw', entity, day));
    await deleteKeys(
      bucket,
      keys.filter((key) => !planned.some((prefix) => key.startsWith(prefix))),
    );
  }

  return {
    async planBatchExport({ day }: { day: BatchDay }): Promise<ExportPlan> {
      const { end } = checkDay(day);
      const topics = new Set(await against('kafka', () => kafkaAdmin.listTopics()));
      const dayComplete = Date.now() >= end;
      const partitions: PartitionPlan[] = [];
      for (const entity of ENTITIES) {
        const plan = await planEntity(day, entity, topics);
        await removeUnplannedPartitions(day, entity, plan);
        partitions.push(...plan);
      }
      return { day, dayComplete, partitions };
    },

    /** Runs in a batch thread; heartbeats with its progress, which a retry resumes from. */
    async exportBatchPartition({
      day,
      plan,
    }: {
      day: BatchDay;
      plan: PartitionPlan;
    }): Promise<PartitionExport> {
      checkDay(day);
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as ExportProgress | undefined;
      return threads.run(
        'exportPartition',
        { day, plan, resumed },
        { onProgress: (progress) => ctx.heartbeat(progress), signal: ctx.cancellationSignal },
      );
    },
  };
}

export type BatchExportActivities = ReturnType<typeof createBatchExportActivities>;
