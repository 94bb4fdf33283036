// The serving layer's wiring: a PostgreSQL pool and a lazy Temporal client (the API starts while
// either is down; their endpoints answer 503 until they are back), one shared analytics snapshot at
// a time, and the router of the read-only endpoints.
import { Client, Connection } from '@temporalio/client';
import type { Router } from 'express';
import type { Config } from '../../infra/config.ts';
import { createPool } from '../../infra/db.ts';
import type { Logger } from '../../infra/logger.ts';
import { lazyAdmin } from '../../infra/stream-status.ts';
import { createKafka } from '../../infra/kafka.ts';
import { computeSnapshot } from './analytics.ts';
import { createPipelineStatus } from './pipeline.ts';
import { createServingRouter } from './router.ts';
import { sharedAnswer } from './shared-answer.ts';

export type ServingConfig = Pick<
  Config,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_MAX'
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_UI_URL'
  | 'STREAM_SCHEMA'
  | 'STREAM_ID_PREFIX'
  | 'STREAM_SHARDS'
  | 'BATCH_SCHEDULE_ID'
  | 'BATCH_SCHEMA'
  | 'BATCH_VIEWS_SCHEMA'
  | 'KAFKA_BROKERS'
  | 'KAFKA_CLIENT_ID'
  | 'KAFKA_TOPIC_PREFIX'
>;

/**
 * How old an analytics or status answer may be: dashboards refreshing every few seconds, and a flood
 * of callers, share one set of queries (the status's are workflow queries the streams' workers answer).
 */
export const SNAPSHOT_MAX_AGE_MS = 2_000;

export interface Serving {
  router: Router;
  close(): Promise<void>;
}

export function createServing(
  config: ServingConfig,
  log: Logger,
  recordsProduced: () => Promise<number>,
): Serving {
  const pool = createPool(config, log);
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // Its own client with the ingest API's short timeouts: a status answer never waits on a dead broker.
  const kafka = lazyAdmin(createKafka(config, log, 'ingest'));
  const schemas = {
    batch: config.BATCH_SCHEMA,
    batchViews: config.BATCH_VIEWS_SCHEMA,
    speed: config.STREAM_SCHEMA,
  };
  const pipeline = createPipelineStatus({
    pool,
    temporal,
    kafkaAdmin: kafka.admin,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    namespace: config.TEMPORAL_NAMESPACE,
    uiUrl: config.TEMPORAL_UI_URL,
    streamIdPrefix: config.STREAM_ID_PREFIX,
    ...(config.STREAM_SHARDS === undefined ? {} : { streamShards: config.STREAM_SHARDS }),
    scheduleId: config.BATCH_SCHEDULE_ID,
    schemas,
    recordsProduced,
  });
  const router = createServingRouter({
    snapshot: sharedAnswer(() => computeSnapshot(pool, schemas), SNAPSHOT_MAX_AGE_MS),
    postsPerMinute: (minutes) => pipeline.postsPerMinute(minutes),
    pipelineStatus: sharedAnswer(() => pipeline.pipelineStatus(), SNAPSHOT_MAX_AGE_MS),
  });
  return {
    router,
    async close() {
      await kafka.close().catch(() => undefined);
      await connection.close();
      await pool.end();
    },
  };
}
