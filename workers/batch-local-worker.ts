// The second worker of each process: it polls this process's own task queue and runs the activities
// that must share its disk (download, clean, removal of the files), and the micro-batches of the
// streams whose last batch ran here (their partitions are fetched by this process). No workflows.
import { hostname } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createBatchLocalActivities } from '../activities/batch/index.ts';
import type { StreamActivities } from '../activities/stream.ts';
import { workerTaskQueue } from '../domain/batch-keys.ts';
import type { Config } from '../infra/config.ts';

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
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    activities: { ...createBatchLocalActivities({ s3: clients.s3, config }), ...stream },
  });
}
