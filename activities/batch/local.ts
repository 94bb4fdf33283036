// Download and clean: the activities that share one worker's disk. They run on that worker's own
// task queue (the samples' worker-specific-task-queues pattern): the shared queue's
// getBatchWorkerQueue names it, and the workflow sends the download, the clean and the removal of the
// files there. Files live under BATCH_WORK_DIR/<workflow id>/<run id>/<S3 key>.
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import { dayPrefix, type BatchDay } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { EntityCleaned, WrittenObject } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { currentRun } from './context.ts';
import { RejectCounter } from './clean-lines.ts';
import type { FileCleaned } from './clean-file.ts';
import { permanent } from '../errors.ts';
import { mapLimit } from './map-limit.ts';
import { getObject, removeStrays, type Bucket } from './s3-objects.ts';
import { batchThreads } from './threads.ts';

export interface LocalEntityInput {
  day: BatchDay;
  entity: Entity;
  /** The day's raw objects of the entity, in partition and part order. */
  keys: string[];
}

export interface DownloadResult {
  entity: Entity;
  files: number;
  bytes: number;
}

export type CleanResult = EntityCleaned & { entity: Entity };

interface Deps {
  s3: S3Client;
  /** All of it: the batch threads make their own S3 client from it. */
  config: Config;
}

/** This run's directory on this worker: a retried or re-run day never reads another run's files. */
function runDir(workDir: string): string {
  const { workflowId, runId } = currentRun();
  return path.join(workDir, workflowId.replace(/[^\w.-]/g, '_'), runId);
}

async function download(bucket: Bucket, key: string, file: string): Promise<number> {
  const { body, length } = await getObject(bucket, key);
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.part`;
  let bytes = 0;
  body.on('data', (chunk: Buffer) => (bytes += chunk.length));
  await pipeline(body, createWriteStream(partial));
  if (length >= 0 && bytes !== length)
    throw new Error(`download of ${key} stopped at ${bytes} of ${length} bytes`);
  await rename(partial, file);
  return bytes;
}

async function checkFiles(files: string[]): Promise<void> {
  for (const file of files) {
    try {
      await access(file);
    } catch (err) {
      throw permanent(FAILURES.BatchLocalFilesMissing, `this worker does not hold ${file}`, err);
    }
  }
}

/** Raw files of one entity cleaned at once, spread over the batch threads. */
const FILES_AT_ONCE = 3;

export function createBatchLocalActivities({ s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  const root = config.BATCH_S3_PREFIX;
  const threads = batchThreads(config);

  return {
    async downloadBatchRaw({ entity, keys }: LocalEntityInput): Promise<DownloadResult> {
      const ctx = Context.current();
      const dir = runDir(config.BATCH_WORK_DIR);
      let bytes = 0;
      for (const [i, key] of keys.entries()) {
        bytes += await download(bucket, key, path.join(dir, key));
        ctx.heartbeat({ files: i + 1 });
      }
      return { entity, files: keys.length, bytes };
    },

    /** Streams the downloaded files through the cleaning (clean-file.ts) into the cleaned and rejected zones. */
    async cleanBatchRaw({ day, entity, keys }: LocalEntityInput): Promise<CleanResult> {
      const ctx = Context.current();
      const dir = runDir(config.BATCH_WORK_DIR);
      await checkFiles(keys.map((key) => path.join(dir, key)));
      const beat = heartbeatWhileProgressing(ctx);
      const run = { onProgress: beat.progress, signal: ctx.cancellationSignal };
      try {
        const files = await mapLimit(keys, FILES_AT_ONCE, (rawKey) =>
          threads.run('cleanFile', { entity, rawKey, file: path.join(dir, rawKey) }, run),
        );
        const latestObjects = await threads.run(
          'mergeLatest',
          { entity, day, runs: files.flatMap((f) => f.runs) },
          run,
        );
        return await finishClean(entity, day, files, latestObjects);
      } finally {
        beat.stop();
      }
    },

    async removeBatchWorkDir(): Promise<void> {
      await rm(runDir(config.BATCH_WORK_DIR), { recursive: true, force: true });
    },
  };

  async function finishClean(
    entity: Entity,
    day: BatchDay,
    files: FileCleaned[],
    latestObjects: WrittenObject[],
  ): Promise<CleanResult> {
    const reasons = new RejectCounter();
    for (const file of files) reasons.addAll(file.rejected);
    const objects = files.flatMap((f) => f.objects);
    const rejectedObjects = files.flatMap((f) => f.rejectedObjects);
    for (const [zone, written] of [
      ['cleaned', objects],
      ['rejected', rejectedObjects],
      ['latest', latestObjects],
    ] as const) {
      const keep = written.map((o) => o.key);
      await removeStrays(bucket, dayPrefix(root, zone, entity, day), keep);
    }
    const records = files.reduce((n, f) => n + f.records, 0);
    const rejectedCounts = reasons.toJSON();
    return {
      entity,
      in: records,
      out: records - rejectedCounts.total,
      rejected: rejectedCounts,
      objects,
      rejectedObjects,
      latestObjects,
    };
  }
}

/** A task silent this long is taken for hung: the heartbeats stop, and Temporal retries elsewhere. */
const STALLED_MS = 60_000;

/**
 * Heartbeats every 2 s while the batch thread reports progress, so that a busy stretch (a garbage
 * collection, a large write) does not look like a lost worker, while a hung thread still does.
 */
function heartbeatWhileProgressing(ctx: Context): { progress: () => void; stop: () => void } {
  let last = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - last < STALLED_MS) ctx.heartbeat();
  }, 2_000);
  return {
    progress: () => {
      last = Date.now();
      ctx.heartbeat();
    },
    stop: () => clearInterval(timer),
  };
}

export type BatchLocalActivities = ReturnType<typeof createBatchLocalActivities>;

/** On the shared queue: names the queue that only this worker process polls. */
export function createBatchQueueActivities(localQueue: string) {
  return {
    async getBatchWorkerQueue(): Promise<string> {
      return localQueue;
    },
  };
}

export type BatchQueueActivities = ReturnType<typeof createBatchQueueActivities>;
