// Download and clean: the work on one worker's disk. Today a day is cut into units (an entity's Kafka
// partition), each downloaded, cleaned and merged in one activity on the units queue that every worker
// polls (cleanBatchUnit). Before units, the whole day ran on one worker, as separate activities on
// that worker's own queue (the samples' worker-specific-task-queues pattern: the shared queue's
// getBatchWorkerQueue names it); those stay for the runs started then. Files live under
// BATCH_WORK_DIR/<workflow id>/<run id>/[<unit>/]<S3 key>.
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import { dayPrefix, partitionPrefix, type BatchDay } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { EntityCleaned, UnitCleaned } from '../../domain/batch-report.ts';
import type { Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { currentRun } from './context.ts';
import { RejectCounter } from './clean-lines.ts';
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

interface CleanScope {
  day: BatchDay;
  entity: Entity;
  /** Downloaded raw objects, under `dir` by their keys. */
  keys: string[];
  dir: string;
  /** A unit's clean: its objects go under `partition=<p>/`; without, the entity's whole day. */
  partition?: number;
}

/** The download and the clean of raw objects on this worker's disk, for units and for whole days. */
function batchFiles({ s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  const root = config.BATCH_S3_PREFIX;
  const threads = batchThreads(config);

  async function downloadAll(dir: string, keys: string[], onFile: (files: number) => void): Promise<number> {
    let bytes = 0;
    for (const [i, key] of keys.entries()) {
      bytes += await download(bucket, key, path.join(dir, key));
      onFile(i + 1);
    }
    return bytes;
  }

  /** Streams the downloaded files through the cleaning (clean-file.ts) into the cleaned and rejected zones. */
  async function cleanFiles(
    { day, entity, keys, dir, partition }: CleanScope,
    run: { onProgress: () => void; signal: AbortSignal },
  ): Promise<EntityCleaned> {
    await checkFiles(keys.map((key) => path.join(dir, key)));
    const files = await mapLimit(keys, FILES_AT_ONCE, (rawKey) =>
      threads.run('cleanFile', { entity, rawKey, file: path.join(dir, rawKey) }, run),
    );
    const latestObjects = await threads.run(
      'mergeLatest',
      { entity, day, runs: files.flatMap((f) => f.runs), ...(partition === undefined ? {} : { partition }) },
      run,
    );
    const reasons = new RejectCounter();
    for (const file of files) reasons.addAll(file.rejected);
    const objects = files.flatMap((f) => f.objects);
    const rejectedObjects = files.flatMap((f) => f.rejectedObjects);
    for (const [zone, written] of [
      ['cleaned', objects],
      ['rejected', rejectedObjects],
      ['latest', latestObjects],
    ] as const) {
      const prefix =
        partition === undefined
          ? dayPrefix(root, zone, entity, day)
          : partitionPrefix(root, zone, entity, day, partition);
      await removeStrays(
        bucket,
        prefix,
        written.map((o) => o.key),
      );
    }
    const records = files.reduce((n, f) => n + f.records, 0);
    const rejectedCounts = reasons.toJSON();
    return {
      in: records,
      out: records - rejectedCounts.total,
      rejected: rejectedCounts,
      objects,
      rejectedObjects,
      latestObjects,
    };
  }

  return { downloadAll, cleanFiles };
}

/**
 * A day's download and clean as it ran before units (workflows/batch-day.ts, unpatched runs): the
 * whole day on one worker, the download and the clean as separate activities on its own queue.
 * Kept for the runs started before the upgrade.
 */
export function createBatchLocalActivities(deps: Deps) {
  const { downloadAll, cleanFiles } = batchFiles(deps);
  const { config } = deps;

  return {
    async downloadBatchRaw({ entity, keys }: LocalEntityInput): Promise<DownloadResult> {
      const ctx = Context.current();
      const bytes = await downloadAll(runDir(config.BATCH_WORK_DIR), keys, (files) =>
        ctx.heartbeat({ files }),
      );
      return { entity, files: keys.length, bytes };
    },

    async cleanBatchRaw({ day, entity, keys }: LocalEntityInput): Promise<CleanResult> {
      const ctx = Context.current();
      const beat = heartbeatWhileProgressing(ctx);
      try {
        const dir = runDir(config.BATCH_WORK_DIR);
        const run = { onProgress: beat.progress, signal: ctx.cancellationSignal };
        return { entity, ...(await cleanFiles({ day, entity, keys, dir }, run)) };
      } finally {
        beat.stop();
      }
    },

    async removeBatchWorkDir(): Promise<void> {
      await rm(runDir(config.BATCH_WORK_DIR), { recursive: true, force: true });
    },
  };
}

export type BatchLocalActivities = ReturnType<typeof createBatchLocalActivities>;

export interface BatchUnitInput {
  day: BatchDay;
  entity: Entity;
  partition: number;
  /** The partition's raw objects of the day, in part order. */
  keys: string[];
}

/**
 * A unit of a day (one entity's Kafka partition), on the units queue every worker polls: downloaded,
 * cleaned and merged into its latest/ objects in one activity, so its files never leave the worker
 * that downloaded them. A lost worker stops heartbeating; Temporal retries the unit, and only it, on
 * another worker, which downloads it again. The unit's files are removed when it ends.
 */
export function createBatchUnitActivities(deps: Deps & { worker: string }) {
  const { downloadAll, cleanFiles } = batchFiles(deps);
  const { config, worker } = deps;

  return {
    async cleanBatchUnit({ day, entity, partition, keys }: BatchUnitInput): Promise<UnitCleaned> {
      const ctx = Context.current();
      const dir = path.join(runDir(config.BATCH_WORK_DIR), `${entity}-${partition}-${ctx.info.attempt}`);
      const beat = heartbeatWhileProgressing(ctx);
      try {
        const from = Date.now();
        await downloadAll(dir, keys, beat.progress);
        const downloadMs = Date.now() - from;
        const run = { onProgress: beat.progress, signal: ctx.cancellationSignal };
        const cleaned = await cleanFiles({ day, entity, keys, dir, partition }, run);
        return { entity, partition, worker, downloadMs, cleanMs: Date.now() - from - downloadMs, ...cleaned };
      } finally {
        beat.stop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export type BatchUnitActivities = ReturnType<typeof createBatchUnitActivities>;

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

/** On the shared queue: names the queue that only this worker process polls. */
export function createBatchQueueActivities(localQueue: string) {
  return {
    async getBatchWorkerQueue(): Promise<string> {
      return localQueue;
    },
  };
}

export type BatchQueueActivities = ReturnType<typeof createBatchQueueActivities>;
