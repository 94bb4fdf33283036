// The composition root of a pipeline worker: clients in, activities wired, worker out.
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createBatchActivities } from '../activities/batch/index.ts';
import { createHealthActivities } from '../activities/health.ts';
import { createStreamActivities } from '../activities/stream.ts';
import type { Config } from '../infra/config.ts';
import { allTopics } from '../domain/wire.ts';
import { localTaskQueue } from './batch-local-worker.ts';
import type { PipelineClients } from './clients.ts';
import { WORKFLOWS_PATH } from './workflows-path.ts';

export async function createPipelineWorker(
  config: Config,
  clients: PipelineClients,
  connection: NativeConnection,
  taskQueue: string,
  /** The queue of this process's batch-local worker (workers/batch-local-worker.ts). */
  localQueue = localTaskQueue(taskQueue),
): Promise<Worker> {
  return Worker.create({
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
      ...createStreamActivities({
        pool: clients.pool,
        admin: clients.kafkaAdmin,
        reader: clients.streamReader,
        producer: clients.producer,
      }),
      ...createBatchActivities({ ...clients, config, localQueue }),
    },
  });
}
