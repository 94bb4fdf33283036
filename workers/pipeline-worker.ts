// The composition root of a pipeline worker: clients in, activities wired, worker out.
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createBatchActivities } from '../activities/batch/index.ts';
import { createHealthActivities } from '../activities/health.ts';
import { createStreamActivities, type StreamActivities } from '../activities/stream.ts';
import type { Config } from '../infra/config.ts';
import { allTopics } from '../domain/wire.ts';
import {
  createBatchLocalWorker,
  createBatchUnitsWorker,
  localTaskQueue,
  type WorkerExtras,
} from './batch-local-worker.ts';
import type { PipelineClients } from './clients.ts';
import { WORKFLOWS_PATH } from './workflows-path.ts';

export async function createPipelineWorker(
  config: Config,
  clients: PipelineClients,
  connection: NativeConnection,
  taskQueue: string,
  /** The queue of this process's batch-local worker (workers/batch-local-worker.ts). */
  localQueue = localTaskQueue(taskQueue),
  /**
   * The process's micro-batch activities, when its local worker runs them too (workers/main.ts): then
   * a stream's batches stick to this process. Without, they are made here and run on the shared queue.
   */
  stream: StreamActivities = streamActivities(clients),
  extra: WorkerExtras = {},
): Promise<Worker> {
  return Worker.create({
    ...extra,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: {
      ...createHealthActivities({
        ...clients,
        bucket: config.S3_BUCKET,
        topics: allTopics(config.KAFKA_TOPIC_PREFIX),
      }),
      ...stream,
      ...createBatchActivities({ ...clients, config, localQueue }),
    },
  });
}

/**
 * The micro-batch activities of one process. With `localQueue`, results name it, and the stream sends
 * its next batch there: register them on the worker polling that queue too (workers/main.ts).
 */
export function streamActivities(clients: PipelineClients, localQueue?: string): StreamActivities {
  return createStreamActivities({
    pool: clients.pool,
    admin: clients.kafkaAdmin,
    reader: clients.streamReader,
    producer: clients.producer,
    ...(localQueue === undefined ? {} : { localQueue }),
  });
}

/**
 * Every worker of one worker process (`npm run worker`): the shared queue's (workflows and the
 * activities any worker runs), the units queue's and the process's own queue's.
 */
export async function createProcessWorkers(
  config: Config,
  clients: PipelineClients,
  connection: NativeConnection,
  sharedQueue: string,
  localQueue: string,
  /** As for createPipelineWorker: given, a stream's batches stick to this process. */
  stream?: StreamActivities,
  extra: WorkerExtras = {},
): Promise<Worker[]> {
  return [
    await createPipelineWorker(config, clients, connection, sharedQueue, localQueue, stream, extra),
    await createBatchLocalWorker(config, clients, connection, localQueue, stream, extra),
    await createBatchUnitsWorker(config, clients, connection, sharedQueue, localQueue, extra),
  ];
}
