// The composition root of a pipeline worker: clients in, activities wired, worker out.
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { createHealthActivities } from '../activities/health.ts';
import type { Config } from '../infra/config.ts';
import type { Pool } from '../infra/db.ts';
import { allTopics } from '../domain/wire.ts';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '../workflows/index.ts');

export interface PipelineClients {
  pool: Pool;
  kafkaAdmin: Admin;
  s3: S3Client;
}

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
    },
  });
}
