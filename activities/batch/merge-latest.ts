// The latest/ objects of a unit (one entity's Kafka partition of a day; before units, the entity's
// whole day), run in a batch thread (threads.ts): the sorted runs of its cleaned files merged into one
// cleaned line per post, in ind order (sorted-runs.ts). The load merges the units' objects in turn.
import { dayPrefix, partitionPrefix, partName, type BatchDay } from '../../domain/batch-keys.ts';
import type { WrittenObject } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { GzipJsonlObjects } from './gzip-jsonl.ts';
import { putObject } from './s3-objects.ts';
import { mergeRuns } from './sorted-runs.ts';
import type { TaskContext, ThreadClients } from './thread-tasks.ts';

export interface MergeLatestInput {
  entity: Entity;
  day: BatchDay;
  runs: string[];
  /** A unit's merge (one Kafka partition): its objects go under `partition=<p>/`. */
  partition?: number;
}

export async function mergeLatest(
  { bucket, config }: ThreadClients,
  { entity, day, runs, partition }: MergeLatestInput,
  { progress, signal }: TaskContext,
): Promise<WrittenObject[]> {
  const root = config.BATCH_S3_PREFIX;
  const prefix =
    partition === undefined
      ? dayPrefix(root, 'latest', entity, day)
      : partitionPrefix(root, 'latest', entity, day, partition);
  const writer = new GzipJsonlObjects({
    maxRecords: config.BATCH_OBJECT_RECORDS,
    keyOf: (part) => prefix + partName(part),
    upload: (key, body) => putObject(bucket, key, body, 'application/x-ndjson'),
  });
  let posts = 0;
  await mergeRuns(runs, writer, async () => {
    await writer.flush();
    signal.throwIfAborted();
    progress((posts += 10_000));
  });
  return writer.close();
}
