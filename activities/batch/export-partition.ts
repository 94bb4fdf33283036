// One partition's share of a day into the raw zone (run in a batch thread, see threads.ts): the
// records of a range of offsets as gzip JSONL objects with deterministic keys, resuming after the
// objects an earlier attempt reported, and the partition's archive manifest after them.
import type { PartitionDecision } from '../../domain/batch-archive.ts';
import { archiveManifestKey, partName, rawPartitionPrefix, type BatchDay } from '../../domain/batch-keys.ts';
import type { PartitionExport, WrittenObject } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { against } from '../errors.ts';
import { GzipJsonlObjects } from './gzip-jsonl.ts';
import { readPartitionRange } from './kafka-range.ts';
import { writeManifest } from './archive.ts';
import { writeRawLine } from './raw-lines.ts';
import { putObject, removeStrays } from './s3-objects.ts';
import type { TaskContext, ThreadClients } from './thread-tasks.ts';

/** One partition's share of the day: where its records come from (domain/batch-archive.ts). */
export type PartitionPlan = PartitionDecision & {
  entity: Entity;
  topic: string;
  /** All partitions of the topic in Kafka. */
  partitions: number[];
};

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

/**
 * Writes the partition's raw objects for `plan.read` after the archive's own (numbered after them),
 * then its manifest. Only an export from Kafka alone, which holds all of the day, removes objects of
 * the partition it did not write; an archive is only ever added to.
 */
export async function exportPartitionRange(
  { kafka, bucket, config }: ThreadClients,
  { day, plan, resumed }: ExportPartitionInput,
  { progress, signal }: TaskContext,
): Promise<PartitionExport> {
  const root = config.BATCH_S3_PREFIX;
  const prefix = rawPartitionPrefix(root, plan.entity, day, plan.partition);
  const archived = plan.archive?.objects ?? [];
  const earlier = resumed?.objects ?? [];
  const writer = new GzipJsonlObjects({
    maxRecords: config.BATCH_OBJECT_RECORDS,
    keyOf: (part) => prefix + partName(part),
    upload: (key, body) => putObject(bucket, key, body, 'application/x-ndjson'),
    firstPart: archived.length + earlier.length,
  });
  if (plan.read) {
    let nextOffset = resumed?.nextOffset ?? plan.read.from;
    let boundary = nextOffset;
    const range = {
      topic: plan.topic,
      partition: plan.partition,
      from: BigInt(nextOffset),
      to: BigInt(plan.read.to),
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
  }
  const objects = [...archived, ...earlier, ...(await writer.close())];
  const manifest = {
    topic: plan.topic,
    partition: plan.partition,
    startOffset: plan.startOffset,
    endOffset: plan.endOffset,
    endFinal: plan.endFinal,
    records: objects.reduce((n, o) => n + o.records, 0),
    objects,
  };
  if (plan.source === 'kafka') {
    const manifestKey = archiveManifestKey(root, plan.entity, day, plan.partition);
    await removeStrays(bucket, prefix, [...objects.map((o) => o.key), manifestKey]);
  }
  await writeManifest(bucket, root, plan.entity, day, manifest);
  return {
    partition: plan.partition,
    startOffset: plan.startOffset,
    endOffset: plan.endOffset,
    records: manifest.records,
    objects,
    source: plan.source,
  };
}
