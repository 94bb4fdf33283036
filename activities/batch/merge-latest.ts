// The day's latest/ objects of one entity (run in a batch thread, see threads.ts): the sorted runs
// of every cleaned file merged into one cleaned line per post, in ind order (sorted-runs.ts).
import { dayPrefix, partName, type BatchDay } from '../../domain/batch-keys.ts';
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
}

export async function mergeLatest(
  { bucket, config }: ThreadClients,
  { entity, day, runs }: MergeLatestInput,
  { progress, signal }: TaskContext,
): Promise<WrittenObject[]> {
  const prefix = dayPrefix(config.BATCH_S3_PREFIX, 'latest', entity, day);
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
