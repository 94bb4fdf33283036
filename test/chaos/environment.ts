// An isolated pipeline for a chaos run: Kafka, PostgreSQL and S3 servers of its own (so that they can
// be killed and stopped), the source database the emulator replays on a server of its own (never
// faulted), and the pipeline's own processes — two workers and the API — with their own task queue,
// workflow ids, Schedule and port, on the stack's Temporal server.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client, Connection } from '@temporalio/client';
import type { Admin, Kafka } from 'kafkajs';
import { allTopics } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { createPool, type Pool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { migrate } from '../../infra/migrate.ts';
import { ensureBucket, ensureTopics } from '../../infra/provision.ts';
import { createS3 } from '../../infra/s3.ts';
import { connectTemporal } from '../../infra/temporal.ts';
import { ProcessGroup, startStreams, type PipelineProcess } from '../../scripts/pipeline-processes.ts';
import { createEmulatorSource, type EmulatorSource } from '../support/emulator-source.ts';
import { createPrivateBroker, type PrivateBroker } from '../support/kafka-broker.ts';
import { freshName } from '../support/names.ts';
import { freePort } from '../support/net.ts';
import { PostgresServer } from '../support/postgres-server.ts';
import { S3Server } from '../support/s3-server.ts';

export const WORKERS = 2;

export interface ChaosEnvironment {
  readonly id: string;
  readonly config: Config;
  readonly logDir: string;
  readonly kafkaServer: PrivateBroker;
  readonly postgresServer: PostgresServer;
  readonly s3Server: S3Server;
  readonly source: EmulatorSource;
  readonly group: ProcessGroup;
  /** The worker processes running now (a killed one is replaced). */
  workers: PipelineProcess[];
  api: PipelineProcess;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly pool: Pool;
  readonly s3: S3Client;
  readonly temporal: Client;
  readonly streamIds: string[];
  close(): Promise<void>;
}

export async function createChaosEnvironment(): Promise<ChaosEnvironment> {
  const id = freshName('chaos');
  const logDir = path.join(tmpdir(), `pinpipe-${id}`);
  await mkdir(logDir, { recursive: true });
  const [kafkaServer, postgresServer, s3Server, source] = await Promise.all([
    createPrivateBroker(),
    PostgresServer.create(),
    S3Server.create(),
    createEmulatorSource({ seed: 7, posts: 2_000 }),
  ]);
  await kafkaServer.start();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: kafkaServer.address,
    DATABASE_URL: postgresServer.url,
    S3_ENDPOINT: s3Server.endpoint,
    PIPELINE_TASK_QUEUE: id,
    STREAM_ID_PREFIX: `${id}-`,
    BATCH_ID_PREFIX: `${id}-`,
    BATCH_SCHEDULE_ID: `${id}-daily`,
    BATCH_WORK_DIR: path.join(logDir, 'batch-work'),
    API_PORT: String(await freePort()),
  };
  const config = loadConfig(env);
  const kafka = createKafka(config);
  const admin = kafka.admin();
  const pool = createPool({ ...config, DATABASE_POOL_MAX: 4 });
  const s3 = createS3(config);
  await admin.connect();
  await ensureTopics(admin, allTopics(config.KAFKA_TOPIC_PREFIX), { partitions: 3, replicationFactor: 1 });
  await migrate(pool);
  await ensureBucket(s3, config.S3_BUCKET);
  const { client: temporal, connection } = await connectTemporal(config);

  const group = new ProcessGroup(env, { to: 'files', dir: logDir });
  const workers: PipelineProcess[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await group.startWorker());
  const api = await group.startApi();
  const streamIds = await startStreams(config);

  return {
    id,
    config,
    logDir,
    kafkaServer,
    postgresServer,
    s3Server,
    source,
    group,
    workers,
    api,
    kafka,
    admin,
    pool,
    s3,
    temporal,
    streamIds,
    close: () =>
      closeAll({
        config,
        group,
        temporal,
        connection,
        streamIds,
        admin,
        pool,
        s3,
        kafkaServer,
        postgresServer,
        s3Server,
        source,
      }),
  };
}

async function closeAll(parts: {
  config: Config;
  group: ProcessGroup;
  temporal: Client;
  connection: Connection;
  streamIds: string[];
  admin: Admin;
  pool: Pool;
  s3: S3Client;
  kafkaServer: PrivateBroker;
  postgresServer: PostgresServer;
  s3Server: S3Server;
  source: EmulatorSource;
}): Promise<void> {
  const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
  for (const id of parts.streamIds) {
    await quietly(parts.temporal.workflow.getHandle(id).terminate('chaos run over'));
  }
  await quietly(parts.temporal.schedule.getHandle(parts.config.BATCH_SCHEDULE_ID).delete());
  await parts.group.stopAll(5_000);
  await quietly(parts.connection.close());
  await quietly(parts.admin.disconnect());
  await quietly(parts.pool.end());
  parts.s3.destroy();
  await Promise.all([
    quietly(parts.kafkaServer.destroy()),
    quietly(parts.postgresServer.destroy()),
    quietly(parts.s3Server.destroy()),
    quietly(parts.source.close()),
  ]);
}
