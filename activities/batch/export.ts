// Export: the day's records of each topic, chosen by Kafka message timestamp, into the raw zone.
// The plan turns the day into offsets per partition (the first offset at or after the day's start,
// and the first at or after its end), so every record of the log lands in exactly one day even when
// a producer's clock makes timestamps slightly out of order near midnight; it then weighs what Kafka
// still holds against the day's archive in S3 (domain/batch-archive.ts), which a run never shrinks.
// Each partition that needs writing is exported by its own activity (in a batch thread:
// export-partition.ts).
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { decidePartition, describeMissing, type KafkaPartition } from '../../domain/batch-archive.ts';
import { dayBounds, isBatchDay, type BatchDay } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { PartitionExport } from '../../domain/batch-report.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { futureTimestampProblems } from '../../infra/provision.ts';
import { against } from '../errors.ts';
import { readDayArchive } from './archive.ts';
import type { ExportProgress, PartitionPlan } from './export-partition.ts';
import { permanent } from '../errors.ts';
import type { Bucket } from './s3-objects.ts';
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
    throw permanent(FAILURES.BatchInvalidDay, `not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  return dayBounds(day);
}

export function createBatchExportActivities({ kafkaAdmin, s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  const root = config.BATCH_S3_PREFIX;
  const threads = batchThreads(config);

  /** What Kafka holds of each partition now, and where the day's timestamps fall in it. */
  async function kafkaPartitions(topic: string, day: BatchDay): Promise<Map<number, KafkaPartition>> {
    const { start, end } = dayBounds(day);
    const [watermarks, starts, ends] = await against('kafka', () =>
      Promise.all([
        kafkaAdmin.fetchTopicOffsets(topic),
        kafkaAdmin.fetchTopicOffsetsByTimestamp(topic, start),
        kafkaAdmin.fetchTopicOffsetsByTimestamp(topic, end),
      ]),
    );
    const offset = (list: { partition: number; offset: string }[], p: number, fallback: bigint) => {
      const found = list.find((x) => x.partition === p)?.offset;
      return found === undefined ? fallback : BigInt(found);
    };
    return new Map(
      watermarks.map((w) => {
        const [low, high] = [BigInt(w.low), BigInt(w.high)];
        const dayStart = offset(starts, w.partition, high);
        const dayEnd = offset(ends, w.partition, dayStart);
        return [
          w.partition,
          { partition: w.partition, low, high, dayStart, dayEnd: dayEnd < dayStart ? dayStart : dayEnd },
        ];
      }),
    );
  }

  async function planEntity(day: BatchDay, entity: Entity, dayComplete: boolean) {
    const topic = entityTopic(config.KAFKA_TOPIC_PREFIX, entity);
    const kafka = await kafkaPartitions(topic, day);
    const archive = await readDayArchive(bucket, root, entity, topic, day);
    const partitions = [...new Set([...kafka.keys(), ...archive.keys()])].sort((a, b) => a - b);
    const kafkaPartitionIds = [...kafka.keys()].sort((a, b) => a - b);
    const plans: PartitionPlan[] = [];
    const missing: string[] = [];
    for (const partition of partitions) {
      const decision = decidePartition(kafka.get(partition), archive.get(partition), dayComplete);
      if ('missing' in decision) missing.push(describeMissing(entity, decision.missing));
      else plans.push({ ...decision, entity, topic, partitions: kafkaPartitionIds });
    }
    return { plans, missing };
  }

  return {
    /**
     * Decides, per entity and partition, where the day's records come from (domain/batch-archive.ts).
     * Fails with BatchDayExpired, naming what is missing, when neither Kafka nor the archive holds
     * the whole day: nothing has been written or loaded yet, so the day's rows stay as they are.
     */
    async planBatchExport({ day }: { day: BatchDay }): Promise<ExportPlan> {
      const { end } = checkDay(day);
      const topics = ENTITIES.map((e) => entityTopic(config.KAFKA_TOPIC_PREFIX, e));
      const existing = new Set(await against('kafka', () => kafkaAdmin.listTopics()));
      const absent = topics.filter((t) => !existing.has(t));
      if (absent.length > 0) {
        throw permanent(FAILURES.BatchTopicMissing, `Kafka topic ${absent.join(', ')} does not exist`);
      }
      const problems = await against('kafka', () => futureTimestampProblems(kafkaAdmin, topics));
      if (problems.length > 0) throw permanent(FAILURES.BatchTopicMisconfigured, problems.join('; '));
      const dayComplete = Date.now() >= end;
      const partitions: PartitionPlan[] = [];
      const missing: string[] = [];
      for (const entity of ENTITIES) {
        const planned = await planEntity(day, entity, dayComplete);
        partitions.push(...planned.plans);
        missing.push(...planned.missing);
      }
      if (missing.length > 0) {
        throw permanent(
          FAILURES.BatchDayExpired,
          `${day} cannot be rebuilt: Kafka no longer holds these records of the day and no archive of them ` +
            `exists in S3: ${missing.join('; ')}. The day's loaded rows are left as they are.`,
        );
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
