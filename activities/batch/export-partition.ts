// One partition's share of a day into the raw zone (run in a batch thread, see threads.ts): the
// records of offsets [startOffset, endOffset) as gzip JSONL objects with deterministic keys, resuming
// after the objects an earlier attempt reported, and without the objects a re-run did not write.
import { partName, rawPartitionPrefix, type BatchDay } from '../../domain/batch-keys.ts';
import type { PartitionExport, WrittenObject } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { against } from '../errors.ts';
import { GzipJsonlObjects } from './gzip-jsonl.ts';
import { readPartitionRange } from './kafka-range.ts';
import { writeRawLine } from './raw-lines.ts';
import { putObject, removeStrays } from './s3-objects.ts';
import type { TaskContext, ThreadClients } from './thread-tasks.ts';

export interface PartitionPlan {
  entity: Entity;
  topic: string;
  partition: number;
  /** All partitions of the topic. */
  partitions: number[];
  startOffset: string;
  endOffset: string;
}

/** What a retried export resumes from: the parts it uploaded and the offset after the last one. */
export interface ExportProgress {
  nextOffset: string;
  objects: WrittenObject[];
}

export interface ExportPartitionInput {
  day: BatchDay;
  plan: PartitionPlan;
  /** The last progress an earlier attempt reported (its heartbeat details). */
  resumed?: ExportProgress;
}

export async function exportPartitionRange(
  { kafka, bucket, config }: ThreadClients,
  { day, plan, resumed }: ExportPartitionInput,
  { progress, signal }: TaskContext,
): Promise<PartitionExport> {
  const prefix = rawPartitionPrefix(config.BATCH_S3_PREFIX, plan.entity, day, plan.partition);
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
      signal.throwIfAborted();
      for (const m of messages) {
        const completed = writeRawLine(writer, plan.partition, m.offset, m.timestamp, m.key, m.value);
        if (completed) boundary = String(BigInt(m.offset) + 1n);
      }
      const written = await writer.flush();
      nextOffset = boundary;
      progress({ nextOffset, objects: [...earlier, ...written] } satisfies ExportProgress);
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
}
