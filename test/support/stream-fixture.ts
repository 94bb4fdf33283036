// Isolation for speed-layer tests on the shared stack: fresh topics and a fresh PostgreSQL schema
// shaped like `speed`, so tests never touch the real tables or each other; or all of it at once, with
// a real worker (startSpeedTestbed).
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Admin, Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import { cleanRecord } from '../../domain/entities.ts';
import { ENTITIES, allTopics, entityTopic, type Entity } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import type { Pool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { ensureTopics } from '../../infra/provision.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { openTestClients } from './clients.ts';
import { freshName } from './names.ts';

const TABLES = ['pin', 'geo', 'user', 'stream_offsets', 'dead_letters'];

/** A new schema with the speed layer's tables (no rows); returns its name. */
export async function createSpeedSchema(pool: Pool): Promise<string> {
  const schema = freshName('test_speed').replace(/-/g, '_');
  const q = pg.escapeIdentifier;
  const ddl = TABLES.map((t) => `CREATE TABLE ${q(schema)}.${q(t)} (LIKE speed.${q(t)} INCLUDING ALL);`);
  await pool.query(`CREATE SCHEMA ${q(schema)}; ${ddl.join(' ')}`);
  return schema;
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
}

export async function createTestTopics(admin: Admin, partitions = 3): Promise<string> {
  const prefix = freshName('test');
  await ensureTopics(admin, allTopics(prefix), { partitions, replicationFactor: 1 });
  return prefix;
}

/** Fresh topics on the broker `config` names, through an admin of its own; returns their prefix. */
export async function freshTestTopics(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'> = loadConfig({}),
): Promise<string> {
  const admin = createKafka(config).admin();
  await admin.connect();
  return createTestTopics(admin).finally(() => admin.disconnect());
}

export async function deleteTestTopics(admin: Admin, prefix: string): Promise<void> {
  await admin.deleteTopics({ topics: allTopics(prefix) }).catch(() => undefined);
}

/** Sends raw records keyed by their `ind`, as the ingest API does; returns when Kafka has them. */
export async function sendRaw(producer: Producer, prefix: string, entity: Entity, records: unknown[]) {
  await producer.send({
    topic: entityTopic(prefix, entity),
    acks: -1,
    messages: records.map((r) => {
      const rec = r as { index?: unknown; ind?: unknown };
      return {
        key: String(rec.index ?? rec.ind ?? 'x'),
        value: typeof r === 'string' ? r : JSON.stringify(r),
      };
    }),
  });
}

/**
 * Sends batches of raw records keyed by their `ind`, each in a Kafka transaction of its own, committed
 * or aborted: the log then holds transaction markers (and the aborted records) between the records.
 */
export async function sendInTransactions(
  kafka: Kafka,
  topic: string,
  batches: { records: Record<string, unknown>[]; commit: boolean }[],
): Promise<void> {
  const producer = kafka.producer({
    transactionalId: freshName('txn'),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (const { records, commit } of batches) {
      const txn = await producer.transaction();
      await txn.send({
        topic,
        messages: records.map((r) => ({ key: String(r.ind), value: JSON.stringify(r) })),
      });
      await (commit ? txn.commit() : txn.abort());
    }
  } finally {
    await producer.disconnect();
  }
}

export interface SpeedTestbed {
  readonly config: Config;
  readonly clients: PipelineClients;
  readonly connection: NativeConnection;
  readonly client: Client;
  /** The fresh speed schema the test's streams write to. */
  readonly schema: string;
  /** Stops the worker, deletes the topics, drops the schema and closes the clients. */
  close(): Promise<void>;
}

/**
 * A speed layer of its own on the shared stack: fresh topics, a fresh speed schema, the worker's
 * clients and a real pipeline worker polling `taskQueue`.
 */
export async function startSpeedTestbed(taskQueue: string): Promise<SpeedTestbed> {
  const prefix = await freshTestTopics();
  const config = loadConfig({
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_PREFIX: prefix,
    PIPELINE_TASK_QUEUE: taskQueue,
  });
  const { clients, connection, client, close: closeClients } = await openTestClients(config);
  const schema = await createSpeedSchema(clients.pool);
  const worker = await createPipelineWorker(config, clients, connection, taskQueue);
  const running = worker.run();
  return {
    config,
    clients,
    connection,
    client,
    schema,
    async close() {
      worker.shutdown();
      await running;
      await deleteTestTopics(clients.kafkaAdmin, prefix);
      await dropSchema(clients.pool, schema);
      await closeClients();
    },
  };
}

export { ENTITIES };

/**
 * The speed layer's pin table holds, for every post, its latest event cleaned (the records in the
 * order Kafka took them, one partition per post), as one process would make it: a stream is exact.
 */
export async function assertPinTableIsLatest(
  pool: Pool,
  schema: string,
  sentInOrder: Record<string, unknown>[],
): Promise<void> {
  const latest = new Map(sentInOrder.map((p) => [p.index, p]));
  const expected = [...latest.values()]
    .map((p) => cleanRecord('pin', p))
    .map((r) => (r.ok ? r.record : assert.fail(r.reason)))
    .sort((a, b) => a.ind - b.ind);
  const { rows } = await pool.query(
    `SELECT ind, unique_id, title, description, follower_count::float8 AS follower_count, poster_name, tag_list,
            is_image_or_video, image_src, save_location, category
     FROM ${pg.escapeIdentifier(schema)}.pin ORDER BY ind`,
  );
  assert.deepEqual(rows, expected);
}
