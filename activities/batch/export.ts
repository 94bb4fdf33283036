// Export: the day's records of each topic, chosen by Kafka message timestamp, into the raw zone.
// The plan turns the day into offsets per partition (the first offset at or after the day's start,
// and the first at or after its end), so every record of the log lands in exactly one day even when
// a producer's clock makes timestamps slightly out of order near midnight. Each partition is then
// exported by its own activity, into deterministic keys, and the objects a re-run did not write go.
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin, Kafka } from 'kafkajs';
import {
  BATCH_FAILURES,
  dayBounds,
  dayPrefix,
  isBatchDay,
  partName,
  rawPartitionPrefix,
  type BatchDay,
} from '../../domain/batch-keys.ts';
import type { PartitionExport, WrittenObject } from '../../domain/batch-report.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { against } from '../errors.ts';
import { permanent } from './failures.ts';
import { GzipJsonlObjects } from './gzip-jsonl.ts';
import { readPartitionRange } from './kafka-range.ts';
import { writeRawLine } from './raw-lines.ts';
import { deleteKeys, listKeys, putObject, removeStrays, type Bucket } from './s3-objects.ts';

export interface PartitionPlan {
  entity: Entity;
  topic: string;
  partition: number;
  /** All partitions of the topic. */
  partitions: number[];
  startOffset: string;
  endOffset: string;
}

export interface ExportPlan {
  day: BatchDay;
  /** Whether the day had ended when its offsets were looked up. */
  dayComplete: boolean;
  partitions: PartitionPlan[];
}

/** What a retried export resumes from: the parts it uploaded and the offset after the last one. */
interface ExportProgress {
  nextOffset: string;
  objects: WrittenObject[];
}

interface Deps {
  kafka: Kafka;
  kafkaAdmin: Admin;
  s3: S3Client;
  config: Pick<
    Config,
    'S3_BUCKET' | 'BATCH_S3_PREFIX' | 'BATCH_OBJECT_RECORDS' | 'KAFKA_TOPIC_PREFIX' | 'KAFKA_CLIENT_ID'
  >;
}

export function checkDay(day: string): { start: number; end: number } {
  if (!isBatchDay(day))
    throw permanent(BATCH_FAILURES.invalidDay, `not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return dayBounds(day);
}

export function createBatchExportActivities({ kafka, kafkaAdmin, s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  const root = config.BATCH_S3_PREFIX;

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
      const prefix = rawPartitionPrefix(root, plan.entity, day, plan.partition);
      const writer = new GzipJsonlObjects({
        maxRecords: config.BATCH_OBJECT_RECORDS,
        keyOf: (part) => prefix + partName(part),
        upload: (key, body) => putObject(bucket, key, body, 'application/x-ndjson'),
        firstPart: resumed?.objects.length ?? 0,
      });
      const earlier = resumed?.objects ?? [];
      let nextOffset = resumed?.nextOffset ?? plan.startOffset;
      let boundary = nextOffset;
      const range = {
        topic: plan.topic,
        partition: plan.partition,
        from: BigInt(nextOffset),
        to: BigInt(plan.endOffset),
        otherPartitions: plan.partitions.filter((p) => p !== plan.partition),
      };
      await against('kafka', () =>
        readPartitionRange(kafka, range, config.KAFKA_CLIENT_ID, async (messages) => {
          for (const m of messages) {
            const completed = writeRawLine(writer, plan.partition, m.offset, m.timestamp, m.key, m.value);
            if (completed) boundary = String(BigInt(m.offset) + 1n);
          }
          const written = await writer.flush();
          nextOffset = boundary;
          ctx.heartbeat({ nextOffset, objects: [...earlier, ...written] } satisfies ExportProgress);
        }),
      );
      const objects = [...earlier, ...(await writer.close())];
      await removeStrays(
        bucket,
        prefix,
        objects.map((o) => o.key),
      );
      return {
        partition: plan.partition,
        startOffset: plan.startOffset,
        endOffset: plan.endOffset,
        records: objects.reduce((n, o) => n + o.records, 0),
        objects,
      };
    },
  };
}

export type BatchExportActivities = ReturnType<typeof createBatchExportActivities>;
