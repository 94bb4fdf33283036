// The composition root of a pipeline worker: clients in, activities wired, worker out.
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { createHealthActivities } from '../activities/health.ts';
import { createStreamActivities } from '../activities/stream.ts';
import type { Config } from '../infra/config.ts';
import { allTopics } from '../domain/wire.ts';
import type { PipelineClients } from './clients.ts';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../workflows/index.ts');

export async function createPipelineWorker(
  config: Config,
  clients: PipelineClients,
  connection: NativeConnection,
  taskQueue: string,
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
    },
  });
}
