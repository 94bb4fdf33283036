// A batch layer of its own on the shared stack, for one test file or one benchmark: fresh topics, a
// fresh S3 key root, fresh PostgreSQL schemas cloned from the migrated batch ones, a fresh task queue,
// and real workers (the shared queue's and the batch-local one) running while a test needs them.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { deleteKeys, getObject, listKeys, type Bucket } from '../../activities/batch/s3-objects.ts';
import { forEachGzipLine } from '../../activities/batch/gzip-jsonl.ts';
import { batchWorkflowId, workerTaskQueue } from '../../domain/batch-keys.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { allTopics, entityTopic, SEARCH_ATTRIBUTES } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import type { Pool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { migrate } from '../../infra/migrate.ts';
import { ensureBucket, ensureTopics } from '../../infra/provision.ts';
import { createS3 } from '../../infra/s3.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { createProcessWorkers } from '../../workers/pipeline-worker.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import type { FixtureMessage } from './batch-fixtures.ts';
import { openTestClients } from './clients.ts';
import { freshName } from './names.ts';

const q = pg.escapeIdentifier;

export interface BatchHarness {
  readonly name: string;
  readonly config: Config;
  /** The environment `config` was loaded from: for worker processes the test starts. */
  readonly env: NodeJS.ProcessEnv;
  readonly clients: PipelineClients;
  readonly client: Client;
  readonly bucket: Bucket;
  produce(messages: FixtureMessage[]): Promise<void>;
  /** Starts a shared-queue and a batch-local worker; more may join later (`addWorkers`). */
  startWorkers(): Promise<{ localQueue: string }>;
  stopWorkers(): Promise<void>;
  runDay(date: string, workflowId?: string): Promise<BatchDayReport>;
  dayWorkflowId(date: string): string;
  /** Every object under the harness's key root (reports/ left out: they hold run ids and times). */
  snapshotS3(): Promise<Record<string, string>>;
  /** Every row of the batch and view tables, in a fixed order. */
  snapshotTables(): Promise<Record<string, unknown[]>>;
  readLines(key: string): Promise<string[]>;
  /** An object's body as text; undefined when it does not exist. */
  readText(key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** `overrides` win over the environment; the fresh names win over both. */
export async function createBatchHarness(overrides: NodeJS.ProcessEnv = {}): Promise<BatchHarness> {
  const name = freshName('batch-test');
  const id = name.replace(/-/g, '_');
  const workDir = await mkdtemp(path.join(tmpdir(), 'pinpipe-batch-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    ...overrides,
    KAFKA_TOPIC_PREFIX: name,
    BATCH_S3_PREFIX: `${name}/`,
    BATCH_SCHEMA: id,
    BATCH_VIEWS_SCHEMA: `${id}_views`,
    BATCH_WORK_DIR: workDir,
    PIPELINE_TASK_QUEUE: name,
    BATCH_ID_PREFIX: `${name}-`,
  };
  const config = loadConfig(env);
  await provision(config);
  // The speed layer's reader is never started: it would read this harness's topics too.
  const opened = await openTestClients(config, { streamReader: false });
  const { clients, client, connection } = opened;
  const bucket: Bucket = { s3: clients.s3, name: config.S3_BUCKET };
  let workers: { worker: Worker; running: Promise<void> }[] = [];

  const harness: BatchHarness = {
    name,
    config,
    env,
    clients,
    client,
    bucket,
    produce: (messages) => produce(clients, config, messages),
    async startWorkers() {
      const localQueue = workerTaskQueue(name, freshName('local'));
      const all = await createProcessWorkers(config, clients, connection, name, localQueue);
      workers.push(...all.map((worker) => ({ worker, running: worker.run() })));
      return { localQueue };
    },
    async stopWorkers() {
      for (const w of workers) w.worker.shutdown();
      await Promise.all(workers.map((w) => w.running));
      workers = [];
    },
    dayWorkflowId: (date) => batchWorkflowId(date, config.BATCH_ID_PREFIX),
    async runDay(date, workflowId = harness.dayWorkflowId(date)) {
      return client.workflow.execute(batchDay, {
        workflowId,
        taskQueue: name,
        args: [{ date, idPrefix: config.BATCH_ID_PREFIX }],
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchDate, value: date }],
      });
    },
    snapshotS3: () => snapshotS3(bucket, config.BATCH_S3_PREFIX),
    snapshotTables: () => snapshotTables(clients.pool, config),
    readLines: (key) => readLines(bucket, key),
    readText: (key) => readText(bucket, key),
    async close() {
      if (workers.length > 0) await harness.stopWorkers();
      await cleanUp(clients, config).catch(() => undefined);
      await opened.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
  return harness;
}

async function provision(config: Config): Promise<void> {
  const admin = createKafka(config).admin();
  const s3 = createS3(config);
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 1 });
  try {
    await admin.connect();
    // Records are kept for good: the fixtures' days are years old, which Kafka's 7-day retention would
    // delete within minutes. Tests that need retention delete records themselves.
    await ensureTopics(admin, allTopics(config.KAFKA_TOPIC_PREFIX), {
      partitions: 3,
      replicationFactor: 1,
      config: { 'retention.ms': '-1' },
    });
    await ensureBucket(s3, config.S3_BUCKET);
    await migrate(pool);
    await cloneSchema(pool, 'batch', config.BATCH_SCHEMA);
    await cloneSchema(pool, 'batch_views', config.BATCH_VIEWS_SCHEMA);
  } finally {
    await admin.disconnect();
    s3.destroy();
    await pool.end();
  }
}

/** The migrated tables' structure (columns, keys, checks, indexes) in a schema of its own. */
export async function cloneSchema(pool: pg.Pool, from: string, to: string): Promise<void> {
  const { rows } = await pool.query<{ tablename: string }>(
    'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
    [from],
  );
  await pool.query(`CREATE SCHEMA ${q(to)}`);
  for (const { tablename } of rows) {
    await pool.query(`CREATE TABLE ${q(to)}.${q(tablename)} (LIKE ${q(from)}.${q(tablename)} INCLUDING ALL)`);
  }
}

async function produce(clients: PipelineClients, config: Config, messages: FixtureMessage[]): Promise<void> {
  const producer = clients.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const m of messages) {
      await producer.send({
        topic: entityTopic(config.KAFKA_TOPIC_PREFIX, m.entity),
        acks: -1,
        messages: [{ key: m.key, value: m.value, partition: m.partition, timestamp: String(m.timestamp) }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

async function readLines(bucket: Bucket, key: string): Promise<string[]> {
  const lines: string[] = [];
  const { body } = await getObject(bucket, key);
  await forEachGzipLine(body, (line) => lines.push(line));
  return lines;
}

async function readText(bucket: Bucket, key: string): Promise<string | undefined> {
  if (!(await listKeys(bucket, key)).includes(key)) return undefined;
  const { body } = await getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function snapshotS3(bucket: Bucket, root: string): Promise<Record<string, string>> {
  const keys = (await listKeys(bucket, root)).filter((k) => !k.startsWith(`${root}reports/`));
  const snapshot: Record<string, string> = {};
  for (const key of keys) {
    const { body } = await getObject(bucket, key);
    const hash = createHash('sha256');
    for await (const chunk of body) hash.update(chunk as Buffer);
    snapshot[key] = hash.digest('hex');
  }
  return snapshot;
}

async function snapshotTables(pool: Pool, config: Config): Promise<Record<string, unknown[]>> {
  const tables = [
    ...['pin', 'geo', 'user'].map((t) => [config.BATCH_SCHEMA, t]),
    ...(
      await pool.query<{ tablename: string }>(
        `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'refreshes' ORDER BY tablename`,
        [config.BATCH_VIEWS_SCHEMA],
      )
    ).rows.map((r) => [config.BATCH_VIEWS_SCHEMA, r.tablename]),
  ] as [string, string][];
  const snapshot: Record<string, unknown[]> = {};
  for (const [schema, table] of tables) {
    const { rows } = await pool.query({
      text: `SELECT * FROM ${q(schema)}.${q(table)} t ORDER BY t::text COLLATE "C"`,
      rowMode: 'array',
    });
    snapshot[`${schema === config.BATCH_SCHEMA ? 'batch' : 'views'}.${table}`] = rows;
  }
  return snapshot;
}

async function cleanUp(clients: PipelineClients, config: Config): Promise<void> {
  const bucket = { s3: clients.s3, name: config.S3_BUCKET };
  await deleteKeys(bucket, await listKeys(bucket, config.BATCH_S3_PREFIX));
  await clients.pool.query(`DROP SCHEMA IF EXISTS ${q(config.BATCH_SCHEMA)} CASCADE`);
  await clients.pool.query(`DROP SCHEMA IF EXISTS ${q(config.BATCH_VIEWS_SCHEMA)} CASCADE`);
  await clients.kafkaAdmin.deleteTopics({ topics: allTopics(config.KAFKA_TOPIC_PREFIX) });
}
