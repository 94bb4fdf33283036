// The other workers of each process, beside the shared queue's (pipeline-worker.ts); no workflows:
// - the units worker polls the queue of the batch days' units of work (every process polls it): each
//   partition's export, then each partition's download and clean; at most BATCH_UNITS_AT_ONCE at a
//   time, so a day's work spreads over all the processes;
// - the local worker polls this process's own task queue: the micro-batches of the streams whose last
//   batch ran here (their partitions are fetched by this process), and the download, clean and removal
//   of files of batch days run before units.
import { availableParallelism, hostname } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createBatchLocalActivities } from '../activities/batch/index.ts';
import { createBatchExportActivities } from '../activities/batch/export.ts';
import { createBatchUnitActivities } from '../activities/batch/local.ts';
import type { StreamActivities } from '../activities/stream.ts';
import { batchUnitsQueue, workerTaskQueue } from '../domain/batch-keys.ts';
import type { Config } from '../infra/config.ts';

/** What a test may add to a worker's options: interceptors (test/support/batch-worker-process.ts). */
export type WorkerExtras = Pick<WorkerOptions, 'interceptors'>;

/** `pinterest-pipeline@host-4242`: one process, one queue. */
export function localTaskQueue(sharedQueue: string): string {
  return workerTaskQueue(sharedQueue, `${hostname()}-${process.pid}`);
}

export async function createBatchLocalWorker(
  config: Config,
  clients: { s3: S3Client },
  connection: NativeConnection,
  taskQueue: string,
  /** The process's micro-batch activities (the same instance as its shared-queue worker's). */
  stream?: StreamActivities,
  /** Tests' interceptors (test/support/batch-worker-process.ts). */
  extra: WorkerExtras = {},
): Promise<Worker> {
  return Worker.create({
    ...extra,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    activities: { ...createBatchLocalActivities({ s3: clients.s3, config }), ...stream },
  });
}

export async function createBatchUnitsWorker(
  config: Config,
  clients: { s3: S3Client; kafkaAdmin: Admin },
  connection: NativeConnection,
  sharedQueue: string,
  /** This process's own queue: the name its units report as the worker that did them. */
  localQueue: string,
  /** Tests' interceptors (test/support/batch-worker-process.ts). */
  extra: WorkerExtras = {},
): Promise<Worker> {
  return Worker.create({
    ...extra,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: batchUnitsQueue(sharedQueue),
    activities: {
      exportBatchPartition: createBatchExportActivities({ ...clients, config }).exportBatchPartition,
      ...createBatchUnitActivities({ s3: clients.s3, config, worker: localQueue }),
    },
    maxConcurrentActivityTaskExecutions:
      config.BATCH_UNITS_AT_ONCE ?? config.BATCH_THREADS ?? availableParallelism(),
  });
}
