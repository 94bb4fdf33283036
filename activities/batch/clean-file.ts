// One downloaded raw file through the cleaning (run in a batch thread, see threads.ts): its cleaned
// and rejected objects written to S3 (each left out when it would be empty), its rejections counted
// by reason, and each post's latest cleaned event written to sorted runs beside the file, for the
// day's merge (sorted-runs.ts).
import { createReadStream } from 'node:fs';
import { zoneKey } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { RejectCounts, WrittenObject } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import { createLineCleaner, RejectCounter } from './clean-lines.ts';
import { permanent } from '../errors.ts';
import { forEachGzipLine, GzipJsonlObjects, isCorruptGzip } from './gzip-jsonl.ts';
import { putObject } from './s3-objects.ts';
import { SortedRuns } from './sorted-runs.ts';
import type { TaskContext, ThreadClients } from './thread-tasks.ts';

export interface CleanFileInput {
  entity: Entity;
  /** The raw object the file was downloaded from. */
  rawKey: string;
  file: string;
}

export interface FileCleaned {
  records: number;
  objects: WrittenObject[];
  rejectedObjects: WrittenObject[];
  rejected: RejectCounts;
  /** Sorted runs of the file's latest event per post, on this worker's disk. */
  runs: string[];
}

export async function cleanRawFile(
  { bucket, config }: ThreadClients,
  { entity, rawKey, file }: CleanFileInput,
  { progress, signal }: TaskContext,
): Promise<FileCleaned> {
  const upload = (key: string, body: Buffer) => putObject(bucket, key, body, 'application/x-ndjson');
  const objectFor = (key: string) => new GzipJsonlObjects({ maxRecords: Infinity, keyOf: () => key, upload });
  const cleaned = objectFor(zoneKey(config.BATCH_S3_PREFIX, rawKey, 'cleaned'));
  const rejected = objectFor(zoneKey(config.BATCH_S3_PREFIX, rawKey, 'rejected'));
  const reasons = new RejectCounter();
  const latest = new SortedRuns(file);
  const clean = createLineCleaner(entity, { cleaned, rejected, latest });
  let records = 0;
  const onLine = (line: string) => {
    records++;
    const reason = clean(line);
    if (reason !== undefined) reasons.add(reason);
  };
  const afterChunk = async () => {
    await Promise.all([cleaned.flush(), rejected.flush(), latest.flush()]);
    signal.throwIfAborted();
    progress(records);
  };
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  await forEachGzipLine(source, onLine, afterChunk, 'latin1').catch((err: unknown) => {
    if (!isCorruptGzip(err)) throw err;
    throw permanent(FAILURES.BatchObjectCorrupt, `${rawKey} is not a complete gzip file`, err);
  });
  const [objects, rejectedObjects, runs] = await Promise.all([
    cleaned.close(),
    rejected.close(),
    latest.close(),
  ]);
  return { records, objects, rejectedObjects, rejected: reasons.toJSON(), runs };
}
