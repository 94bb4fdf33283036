// Proof that every service of the stack is real: a round trip through each, and a workflow run by
// a real worker on the Temporal dev server. Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import proto from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Kafka } from 'kafkajs';
import { loadConfig } from '../../infra/config.ts';
import { createPool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { ensureTopics } from '../../infra/provision.ts';
import { createS3 } from '../../infra/s3.ts';
import { connectTemporal } from '../../infra/temporal.ts';
import { openPipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { serviceCheck } from '../../workflows/service-check.ts';
import { freshName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const { EventType } = proto.temporal.api.enums.v1;
Runtime.install({ logger: new DefaultLogger('WARN') });

describe('kafka', () => {
  let kafka: Kafka;
  before(() => {
    kafka = createKafka(config);
  });

  test('produces records and reads them back by offset', async () => {
    const topic = freshName('test-roundtrip');
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: freshName('test-group') });
    try {
      await admin.connect();
      assert.deepEqual(await ensureTopics(admin, [topic], { partitions: 2, replicationFactor: 1 }), [topic]);
      await producer.connect();
      const values = Array.from({ length: 10 }, (_, i) => JSON.stringify({ n: i }));
      await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition: 1, value })) });
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.equal(offsets.find((o) => o.partition === 1)?.high, '10');
      assert.equal(offsets.find((o) => o.partition === 0)?.high, '0');

      // Read from offset 4 onwards: the records come back in order, at their offsets, unchanged.
      const seen: { offset: string; value: string }[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          seen.push({ offset: message.offset, value: message.value?.toString() ?? '' });
        },
      });
      consumer.seek({ topic, partition: 1, offset: '4' });
      await waitFor('six records', async () => (seen.length >= 6 ? true : undefined));
      assert.deepEqual(
        seen,
        values.slice(4).map((value, i) => ({ offset: String(i + 4), value })),
      );
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('s3', () => {
  test('puts, lists, gets and deletes an object', async () => {
    const s3 = createS3(config);
    const prefix = `${freshName('test-roundtrip')}/`;
    const Key = `${prefix}hello.json`;
    const Body = JSON.stringify({ hello: 'world' });
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: config.S3_BUCKET, Key, Body, ContentType: 'application/json' }),
      );
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: config.S3_BUCKET, Prefix: prefix }));
      assert.deepEqual(
        listed.Contents?.map((o) => [o.Key, o.Size]),
        [[Key, Body.length]],
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: config.S3_BUCKET, Key }));
      assert.equal(await got.Body?.transformToString(), Body);
      await s3.send(new DeleteObjectCommand({ Bucket: config.S3_BUCKET, Key }));
      const after = await s3.send(new ListObjectsV2Command({ Bucket: config.S3_BUCKET, Prefix: prefix }));
      assert.equal(after.KeyCount, 0);
    } finally {
      s3.destroy();
    }
  });
});

describe('postgres', () => {
  test('the schema is migrated and a row makes a round trip through it', async () => {
    const pool = createPool(config);
    try {
      const { rows: versions } = await pool.query<{ name: string }>(
        'SELECT name FROM public.schema_migrations ORDER BY version',
      );
      assert.equal(versions[0]?.name, '0001_cleaned_tables.sql');

      const ind = 90_000_000 + Math.floor(Math.random() * 9_999_999);
      try {
        await pool.query(
          `INSERT INTO speed.geo (ind, country, coordinates, "timestamp", event_time, source_partition, source_offset)
           VALUES ($1, $2, $3, $4, now(), 0, 0)`,
          [ind, "Cote d'Ivoire", [-89.9796, -72.4059], '2019-03-28 09:16:33+00'],
        );
        const { rows } = await pool.query(
          'SELECT country, coordinates, "timestamp" FROM speed.geo WHERE ind = $1',
          [ind],
        );
        assert.deepEqual(rows, [
          {
            country: "Cote d'Ivoire",
            coordinates: [-89.9796, -72.4059],
            timestamp: new Date('2019-03-28T09:16:33Z'),
          },
        ]);
      } finally {
        await pool.query('DELETE FROM speed.geo WHERE ind = $1', [ind]);
      }
    } finally {
      await pool.end();
    }
  });
});

describe('temporal', () => {
  let connection: NativeConnection;
  before(async () => {
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  });
  after(async () => {
    await connection.close();
  });

  test('a real worker runs serviceCheck; its history is readable and the Web UI lists the run', async () => {
    const clients = await openPipelineClients(config);
    const { client, connection: clientConnection } = await connectTemporal(config);
    const taskQueue = freshName('test-service-check');
    const workflowId = freshName('service-check');
    try {
      const worker = await createPipelineWorker(config, clients, connection, taskQueue);
      const reports = await worker.runUntil(client.workflow.execute(serviceCheck, { taskQueue, workflowId }));
      assert.deepEqual(
        reports.map((r) => r.service),
        ['kafka', 's3', 'postgres'],
      );
      assert.match(reports[2]?.detail ?? '', /^schema version \d+$/);

      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const types = (history.events ?? []).map((e) => e.eventType);
      assert.equal(types.filter((t) => t === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).length, 3);
      assert.equal(types.at(-1), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);

      // The Web UI's own HTTP API (what the browser at :8233 uses) lists the run.
      const query = encodeURIComponent(`WorkflowId="${workflowId}"`);
      const listed = await waitFor('the run in the Web UI', async () => {
        const res = await fetch(
          `${config.TEMPORAL_UI_URL}/api/v1/namespaces/${config.TEMPORAL_NAMESPACE}/workflows?query=${query}`,
        );
        const body = (await res.json()) as { executions?: { status: string }[] };
        return body.executions?.length ? body.executions : undefined;
      });
      assert.equal(listed[0]?.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    } finally {
      await clientConnection.close();
      await clients.close();
    }
  });
});
