// The day's raw archive in S3: reading and writing the per-partition manifests (domain/batch-archive.ts).
// A day archived before manifests existed is read from its report (reports/dt=…/report.json) instead.
import { z } from 'zod';
import type { PartitionArchive } from '../../domain/batch-archive.ts';
import {
  archiveManifestKey,
  dayPrefix,
  isArchiveManifestKey,
  reportKey,
  type BatchDay,
} from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import { describeIssues } from '../../domain/zod-issues.ts';
import type { Entity } from '../../domain/wire.ts';
import { permanent } from '../errors.ts';
import { getObject, listKeys, putObject, type Bucket } from './s3-objects.ts';

const Offset = z.string().regex(/^\d{1,19}$/);
const WrittenObject = z.object({
  key: z.string().min(1),
  records: z.number().int().min(0),
  bytes: z.number(),
});

const Manifest = z.object({
  topic: z.string(),
  partition: z.number().int().min(0),
  startOffset: Offset,
  endOffset: Offset,
  endFinal: z.boolean(),
  records: z.number().int().min(0),
  objects: z.array(WrittenObject),
});

/** Only what the fallback needs of an old report. */
const LegacyReport = z.object({
  dayComplete: z.boolean(),
  entities: z.record(
    z.string(),
    z.object({
      exported: z.object({
        partitions: z.array(
          z.object({
            partition: z.number().int().min(0),
            startOffset: Offset,
            endOffset: Offset,
            records: z.number().int().min(0),
            objects: z.array(WrittenObject),
          }),
        ),
      }),
    }),
  ),
});

async function readJson(bucket: Bucket, key: string): Promise<unknown> {
  const { body } = await getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw permanent(FAILURES.BatchObjectCorrupt, `${key} is not JSON`, err);
  }
}

function parsed<T>(schema: z.ZodType<T>, value: unknown, key: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw permanent(
      FAILURES.BatchObjectCorrupt,
      `${key} is not what the batch layer wrote: ${describeIssues(result.error)}`,
    );
  }
  return result.data;
}

/** The archive of each partition of an entity's day, by partition; empty when the day was never exported. */
export async function readDayArchive(
  bucket: Bucket,
  root: string,
  entity: Entity,
  topic: string,
  day: BatchDay,
): Promise<Map<number, PartitionArchive>> {
  const keys = (await listKeys(bucket, dayPrefix(root, 'raw', entity, day))).filter(isArchiveManifestKey);
  const archive = new Map<number, PartitionArchive>();
  for (const key of keys) {
    const manifest = parsed(Manifest, await readJson(bucket, key), key);
    archive.set(manifest.partition, manifest);
  }
  if (archive.size > 0) return archive;
  return legacyArchive(bucket, root, entity, topic, day);
}

/** Before manifests, the day's report named each partition's objects and offsets. */
async function legacyArchive(
  bucket: Bucket,
  root: string,
  entity: Entity,
  topic: string,
  day: BatchDay,
): Promise<Map<number, PartitionArchive>> {
  const key = reportKey(root, day);
  if (!(await listKeys(bucket, key)).includes(key)) return new Map();
  const report = parsed(LegacyReport, await readJson(bucket, key), key);
  const partitions = report.entities[entity]?.exported.partitions ?? [];
  return new Map(
    partitions
      .filter((p) => p.objects.length > 0)
      .map((p) => [p.partition, { topic, ...p, endFinal: report.dayComplete }]),
  );
}

export async function writeManifest(
  bucket: Bucket,
  root: string,
  entity: Entity,
  day: BatchDay,
  archive: PartitionArchive,
): Promise<void> {
  const key = archiveManifestKey(root, entity, day, archive.partition);
  await putObject(bucket, key, `${JSON.stringify(archive, null, 2)}\n`, 'application/json');
}
