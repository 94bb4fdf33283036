// The speed layer end to end on the real stack: Kafka → stream workflow (real worker) → PostgreSQL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { cleanRecord } from '../../domain/clean.ts';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type StreamStatus,
} from '../../domain/stream-wire.ts';
import { deadLetterTopic, type Entity } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { connectTemporal } from '../../infra/temporal.ts';
import { openPipelineClients, type PipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { stream, type StreamInput } from '../../workflows/stream.ts';
import { freshName } from '../support/names.ts';
import { streamInputFor } from '../support/stream-input.ts';
import {
  createSpeedSchema,
  createTestTopics,
  deleteTestTopics,
  dropSchema,
  sendRaw,
} from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const sample = (entity: Entity): Record<string, unknown>[] =>
  readFileSync(new URL(`../fixtures/real-sample/${entity}.jsonl`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const INVALID = [
  'not json at all',
  JSON.stringify({ index: 'x' }),
  JSON.stringify({ ...sample('pin')[0], follower_count: 'lots' }),
  JSON.stringify({ ...sample('pin')[1], surprise: true }),
];

describe('speed layer stream', () => {
  let config: Config;
  let clients: PipelineClients;
  let connection: NativeConnection;
  let client: Client;
  let closeClient: () => Promise<void>;
  let worker: Worker;
  let running: Promise<void>;
  let schema: string;
  const taskQueue = freshName('test-stream');

  before(async () => {
    const admin = createKafka(loadConfig({})).admin();
    await admin.connect();
    const prefix = await createTestTopics(admin).finally(() => admin.disconnect());
    config = loadConfig({ LOG_LEVEL: 'warn', KAFKA_TOPIC_PREFIX: prefix, PIPELINE_TASK_QUEUE: taskQueue });
    clients = await openPipelineClients(config);
    schema = await createSpeedSchema(clients.pool);
    connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    const temporal = await connectTemporal(config);
    client = temporal.client;
    closeClient = () => temporal.connection.close();
    worker = await createPipelineWorker(config, clients, connection, taskQueue);
    running = worker.run();
  });

  after(async () => {
    worker.shutdown();
    await running;
    await deleteTestTopics(clients.kafkaAdmin, config.KAFKA_TOPIC_PREFIX);
    await dropSchema(clients.pool, schema);
    await clients.close();
    await connection.close();
    await closeClient();
  });

  const input = (entity: Entity, overrides: Partial<StreamInput> = {}): StreamInput =>
    streamInputFor(config.KAFKA_TOPIC_PREFIX, schema, entity, { maxBatchesPerRun: 100, ...overrides });

  async function start(i: StreamInput): Promise<WorkflowHandle<typeof stream>> {
    return client.workflow.start(stream, { workflowId: i.stream, taskQueue, args: [i] });
  }

  const caughtUp = (handle: WorkflowHandle, read: number) =>
    waitFor(
      `the stream to read ${read} records`,
      async () => {
        const s = await handle.query(statusQuery);
        return s.totals.read >= read && s.lag === 0 ? s : undefined;
      },
      60_000,
    );

  async function offsets(stream: string) {
    const { rows } = await clients.pool.query<{ next: string; applied: string; high: string }>(
      `SELECT next_offset AS next, records_applied AS applied, high_watermark AS high
       FROM ${pg.escapeIdentifier(schema)}.stream_offsets WHERE stream = $1 ORDER BY partition`,
      [stream],
    );
    return rows;
  }

  test('valid records land exactly once, cleaned; invalid ones are dead-lettered; across continue-as-new', async () => {
    const pins = sample('pin').slice(0, 300);
    // The same posts again, changed: the latest event of each ind must win.
    const again: Record<string, unknown>[] = pins
      .slice(0, 60)
      .map((p) => ({ ...p, title: `${String(p.title)} (edited)` }));
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', pins.slice(0, 150));
    const i = input('pin', { maxRecordsPerPartition: 10, maxBatchesPerRun: 3 });
    const handle = await start(i);
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', [
      ...pins.slice(150),
      ...INVALID,
      ...again,
    ]);
    const sent = pins.length + INVALID.length + again.length;

    const status = await caughtUp(handle, sent);
    assert.equal(status.totals.read, sent, 'every record read once');
    assert.equal(status.totals.deadLettered, INVALID.length);
    assert.ok(status.generation >= 2, `continued as new (generation ${status.generation})`);

    const latest = new Map(pins.map((p) => [p.index, p]));
    for (const p of again) latest.set(p.index, p);
    const expected = [...latest.values()]
      .map((p) => cleanRecord('pin', p))
      .map((r) => (r.ok ? r.record : assert.fail(r.reason)))
      .sort((a, b) => a.ind - b.ind);
    const { rows } = await clients.pool.query(
      `SELECT ind, unique_id, title, description, follower_count::float8 AS follower_count, poster_name, tag_list,
              is_image_or_video, image_src, save_location, category
       FROM ${pg.escapeIdentifier(schema)}.pin ORDER BY ind`,
    );
    assert.deepEqual(rows, expected);

    for (const o of await offsets(i.stream)) {
      assert.equal(o.applied, o.next, 'each offset applied exactly once');
      assert.equal(o.next, o.high, 'caught up with the topic');
    }
    const dead = await clients.pool.query<{ reason: string }>(
      `SELECT reason FROM ${pg.escapeIdentifier(schema)}.dead_letters WHERE stream = $1 ORDER BY reason`,
      [i.stream],
    );
    const reasons = dead.rows.map((r) => r.reason);
    assert.equal(reasons.length, INVALID.length);
    for (const pattern of [
      /^value: not valid JSON$/,
      /^follower_count: /,
      /^index: /,
      /^surprise: unknown field$/,
    ]) {
      assert.equal(reasons.filter((r) => pattern.test(r)).length, 1, `${pattern} in ${reasons.join(' | ')}`);
    }
    await assertDeadLetterTopic(i.topic);

    await handle.signal(stopSignal);
    const final = await handle.result();
    assert.equal(final.state, 'stopped');
  });

  test('pause holds the offsets, resume goes on, stop ends the workflow', async () => {
    const users = sample('user');
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'user', users.slice(0, 100));
    const i = input('user');
    const handle = await start(i);
    await caughtUp(handle, 100);

    await handle.signal(pauseSignal);
    await waitFor('paused', async () =>
      (await handle.query(statusQuery)).state === 'paused' ? true : undefined,
    );
    const held = await offsets(i.stream);
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'user', users.slice(100, 200));
    await new Promise((r) => setTimeout(r, 1_500));
    assert.deepEqual(await offsets(i.stream), held, 'no progress while paused');
    const paused: StreamStatus = await handle.query(statusQuery);
    assert.equal(paused.totals.read, 100);

    await handle.signal(resumeSignal);
    const resumed = await caughtUp(handle, 200);
    assert.equal(resumed.totals.read, 200);
    const { rows } = await clients.pool.query(
      `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}."user" WHERE ind = ANY($1)`,
      [users.slice(0, 200).map((u) => u.ind)],
    );
    assert.equal(rows[0].n, new Set(users.slice(0, 200).map((u) => u.ind)).size);

    await handle.signal(stopSignal);
    assert.equal((await handle.result()).totals.read, 200);
  });

  async function assertDeadLetterTopic(sourceTopic: string) {
    const consumer = clients.kafka.consumer({ groupId: freshName('test-dlq') });
    const seen: Record<string, string>[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: deadLetterTopic(config.KAFKA_TOPIC_PREFIX), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (h['source-topic'] === sourceTopic) seen.push(h);
      },
    });
    try {
      await waitFor('dead letters in the topic', async () =>
        seen.length >= INVALID.length ? true : undefined,
      );
      for (const h of seen) {
        assert.ok(h.reason && h['source-partition'] && h['source-offset'], JSON.stringify(h));
      }
    } finally {
      await consumer.disconnect();
    }
  }
});
