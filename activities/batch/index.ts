// The batch layer's activities on the shared task queue (any worker runs them), and the factory of
// those that must share one worker's disk (registered on that worker's own queue).
import type { S3Client } from '@aws-sdk/client-s3';
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../../infra/config.ts';
import type { Pool } from '../../infra/db.ts';
import { createBatchExportActivities } from './export.ts';
import { createBatchLoadActivities } from './load.ts';
import { createBatchQueueActivities } from './local.ts';
import { createBatchReportActivities } from './report.ts';
import { createBatchViewActivities } from './views.ts';

export { createBatchLocalActivities, type BatchLocalActivities } from './local.ts';

export interface BatchDeps {
  kafka: Kafka;
  kafkaAdmin: Admin;
  pool: Pool;
  s3: S3Client;
  config: Config;
  /** The task queue only this worker process polls, for its download and clean. */
  localQueue: string;
}

export function createBatchActivities(deps: BatchDeps) {
  return {
    ...createBatchExportActivities(deps),
    ...createBatchQueueActivities(deps.localQueue),
    ...createBatchLoadActivities(deps),
    ...createBatchViewActivities(deps),
    ...createBatchReportActivities(deps),
  };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
