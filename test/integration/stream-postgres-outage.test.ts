// PostgreSQL stopped for a while during the stream: micro-batches fail and retry with back-off
// (visible on the workflow), and once it returns nothing is lost or duplicated. Uses a private
// PostgreSQL server so the shared one is never stopped.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import { statusQuery, stopSignal } from '../../domain/stream-wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { migrate } from '../../infra/migrate.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { stream } from '../../workflows/stream.ts';
import { openTestClients } from '../support/clients.ts';
import { freshName } from '../support/names.ts';
import { streamInputFor } from '../support/stream-input.ts';
import { PostgresServer } from '../support/postgres-server.ts';
import { readSampleRecords } from '../support/records.ts';
import { deleteTestTopics, freshTestTopics, sendRaw } from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

let server: PostgresServer;
let config: Config;
let clients: PipelineClients;
let connection: NativeConnection;
let client: Client;
let closeClients: () => Promise<void>;

const template = readSampleRecords('user')[0]!;
const users = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ ...template, ind: from + i }));

before(async () => {
  server = await PostgresServer.create();
  const prefix = await freshTestTopics();
  config = loadConfig({
    LOG_LEVEL: 'warn',
    DATABASE_URL: server.url,
    KAFKA_TOPIC_PREFIX: prefix,
    PIPELINE_TASK_QUEUE: freshName('test-pg-outage'),
  });
  ({ clients, connection, client, close: closeClients } = await openTestClients(config));
  await migrate(clients.pool);
});

after(async () => {
  await deleteTestTopics(clients.kafkaAdmin, config.KAFKA_TOPIC_PREFIX);
  await closeClients();
  await server.destroy();
});

test('the stream retries while PostgreSQL is down and catches up exactly once', async () => {
  const worker = await createPipelineWorker(config, clients, connection, config.PIPELINE_TASK_QUEUE);
  const input = streamInputFor(config.KAFKA_TOPIC_PREFIX, 'speed', 'user', {
    stream: freshName('stream-pg-outage'),
    maxRecordsPerPartition: 500,
    idleBackoffMs: { initial: 50, max: 300 },
    maxBatchesPerRun: 500,
  });
  await worker.runUntil(async () => {
    const handle = await client.workflow.start(stream, {
      workflowId: input.stream,
      taskQueue: config.PIPELINE_TASK_QUEUE,
      args: [input],
    });
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'user', users(0, 1_000));
    await waitFor('the first records', async () =>
      (await handle.query(statusQuery)).totals.read > 0 ? true : undefined,
    );

    await server.stop();
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'user', users(1_000, 1_000));
    const failing = await waitFor(
      'a micro-batch retrying against the stopped database',
      async () => {
        const s = await handle.query(statusQuery);
        return (s.retrying?.attempts ?? 0) >= 3 ? s : undefined;
      },
      30_000,
    );
    // The status says so, with what is wrong; the UI can list the stream by its search attribute.
    assert.equal(failing.state, 'retrying');
    assert.equal(failing.retrying?.lastFailure.type, 'PostgresUnavailable');
    assert.match(failing.retrying?.lastFailure.message ?? '', /ECONNREFUSED|connect|terminat/i);
    const retryingAttribute = async () =>
      ((await handle.describe()).searchAttributes as Record<string, unknown[]>).StreamRetrying;
    assert.deepEqual(await retryingAttribute(), [true]);

    await server.start();
    const status = await waitFor(
      'the stream to catch up',
      async () => {
        const s = await handle.query(statusQuery);
        return s.totals.read === 2_000 && s.lag === 0 ? s : undefined;
      },
      60_000,
    );
    assert.equal(status.totals.cleaned, 2_000);
    assert.equal(status.retrying, null);
    assert.notEqual(status.state, 'retrying');
    assert.deepEqual(await retryingAttribute(), [false]);

    const { rows } = await clients.pool.query<{ n: number; applied: number; next: number }>(
      `SELECT (SELECT count(*)::int FROM speed."user") AS n,
              (SELECT sum(records_applied)::int FROM speed.stream_offsets WHERE stream = $1) AS applied,
              (SELECT sum(next_offset)::int FROM speed.stream_offsets WHERE stream = $1) AS next`,
      [input.stream],
    );
    assert.deepEqual(rows[0], { n: 2_000, applied: 2_000, next: 2_000 });

    // The history tells the story: the micro-batches that failed, each with its type and message.
    const history = await handle.fetchHistory();
    const failed = (history.events ?? []).filter(
      (e) =>
        e.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type ===
          'PostgresUnavailable' &&
        /^postgres unavailable: /.test(e.activityTaskFailedEventAttributes.failure.message ?? ''),
    );
    assert.ok(failed.length >= 3, 'the history shows each failed micro-batch');

    await handle.signal(stopSignal);
    await handle.result();
  });
});
