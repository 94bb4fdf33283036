// A stream as K shards on the real stack: each shard a workflow owning the partitions p with
// p mod K = its index, all of them started by the command's own code (workers/streams.ts). Then
// re-sharding as documented: starting another count beside running shards is refused; stop, change
// STREAM_SHARDS, start: the new shards go on from the same per-partition offsets, and every record is
// applied exactly once across both shard counts. And adding partitions to a topic, the same way: stop,
// add them, change STREAM_SHARDS, start (with the workers restarted, which is what makes them see the
// new partitions at once): the records in the new partitions are applied, none lost or applied twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { statusQuery, stopSignal, type StreamStatus } from '../../domain/stream-wire.ts';
import { entityTopic } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { ReshardWhileRunningError, startStreamShards } from '../../workers/streams.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import {
  assertPinTableIsLatest,
  createSpeedSchema,
  deleteTestTopics,
  dropSchema,
  freshTestTopics,
  sendRaw,
  startSpeedTestbed,
  type SpeedTestbed,
} from '../support/stream-fixture.ts';
import { startInProcessWorker, type InProcessWorker } from '../support/stream-worker.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

describe('stream shards', () => {
  let speed: SpeedTestbed;
  let clients: PipelineClients;
  let client: Client;
  let base: Config;
  const taskQueue = freshName('test-shards');

  before(async () => {
    speed = await startSpeedTestbed(taskQueue);
    ({ clients, client } = speed);
    base = speed.config;
  });

  after(() => speed.close());

  const withShards = (shards: number, prefix: string): Config =>
    loadConfig({
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: base.KAFKA_TOPIC_PREFIX,
      PIPELINE_TASK_QUEUE: taskQueue,
      STREAM_SCHEMA: speed.schema,
      STREAM_ID_PREFIX: prefix,
      STREAM_SHARDS: String(shards),
      STREAM_MAX_WAIT_MS: '200',
      STREAM_MAX_RECORDS_PER_PARTITION: '40',
    });
  const admin = () => Promise.resolve(clients.kafkaAdmin);

  /** Each shard's status once together they applied `read` records and none lags. */
  async function caughtUp(ids: string[], read: number): Promise<StreamStatus[]> {
    return waitFor(
      `${ids.length} shards to read ${read} records`,
      async () => {
        const all = await Promise.all(ids.map((id) => client.workflow.getHandle(id).query(statusQuery)));
        const total = all.reduce((n, s) => n + s.totals.read, 0);
        return total >= read && all.every((s) => s.lag === 0) ? all : undefined;
      },
      60_000,
    );
  }

  async function offsets(stream: string, schema = speed.schema) {
    const { rows } = await clients.pool.query<{ partition: number; next: string; applied: string }>(
      `SELECT partition, next_offset AS next, records_applied AS applied
       FROM ${pg.escapeIdentifier(schema)}.stream_offsets WHERE stream = $1 ORDER BY partition`,
      [stream],
    );
    return rows;
  }

  async function stopAll(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map(async (id) => {
        const handle = client.workflow.getHandle(id);
        await handle.signal(stopSignal);
        await handle.result();
      }),
    );
  }

  test('K shards own disjoint partitions, and re-sharding (stop, change, start) applies each record once', async () => {
    const prefix = `${freshName('sh')}-`;
    const stream = `${prefix}stream-pin`;
    const pins = readSampleRecords('pin').slice(0, 300);
    await sendRaw(clients.producer, base.KAFKA_TOPIC_PREFIX, 'pin', pins);

    // Two shards over the topic's three partitions: shard 0 owns 0 and 2, shard 1 owns 1.
    const two = await startStreamShards(client, withShards(2, prefix), admin, 'pin');
    assert.deepEqual(two, [`${stream}-0`, `${stream}-1`]);
    const firstRun = await caughtUp(two, pins.length);
    assert.deepEqual(
      firstRun.map((s) => s.partitions.map((p) => p.partition)),
      [[0, 2], [1]],
    );
    assert.deepEqual(
      firstRun.map((s) => s.shard),
      [
        { index: 0, count: 2 },
        { index: 1, count: 2 },
      ],
    );
    assert.ok(
      firstRun.every((s) => s.totals.read > 0),
      'both shards applied records',
    );

    // Another count beside running shards is refused, naming what to do.
    await assert.rejects(
      startStreamShards(client, withShards(3, prefix), admin, 'pin'),
      (err: unknown) => err instanceof ReshardWhileRunningError && /stop it first/.test(err.message),
    );

    await stopAll(two);
    // The same posts again, edited, while no shard runs: the new shards must take them from the offsets.
    const edited: Record<string, unknown>[] = pins
      .slice(0, 90)
      .map((p) => ({ ...p, title: `${String(p.title)} (resharded)` }));
    await sendRaw(clients.producer, base.KAFKA_TOPIC_PREFIX, 'pin', edited);

    const three = await startStreamShards(client, withShards(3, prefix), admin, 'pin');
    assert.deepEqual(three, [`${stream}-0`, `${stream}-1`, `${stream}-2`]);
    const secondRun = await caughtUp(three, pins.length + edited.length);
    assert.deepEqual(
      secondRun.map((s) => s.partitions.map((p) => p.partition)),
      [[0], [1], [2]],
    );
    await stopAll(three);

    // Exactly once across both counts: every offset of every partition applied once.
    const rows = await offsets(stream);
    assert.deepEqual(
      rows.map((r) => r.partition),
      [0, 1, 2],
    );
    for (const r of rows)
      assert.equal(r.applied, r.next, `partition ${r.partition}: each offset applied once`);
    const applied = rows.reduce((n, r) => n + Number(r.applied), 0);
    assert.equal(applied, pins.length + edited.length);

    const { rows: table } = await clients.pool.query<{ ind: number; title: string }>(
      `SELECT ind, title FROM ${pg.escapeIdentifier(speed.schema)}.pin ORDER BY ind`,
    );
    assert.equal(table.length, new Set(pins.map((p) => p.index)).size, 'one row per post');
    const resharded = table.filter((r) => r.title?.endsWith('(resharded)')).length;
    assert.equal(
      resharded,
      new Set(edited.map((p) => p.index)).size,
      'the edits applied after re-sharding won',
    );
  });

  test('adding partitions to a topic: stop, add partitions, change STREAM_SHARDS, start: records in the new partitions are applied, nothing lost or applied twice', async () => {
    // Topics, a schema and a worker of its own: partitions are added to these topics, and the worker
    // is stopped and started again, as the operation asks of every worker.
    const prefix = await freshTestTopics();
    const schema = await createSpeedSchema(clients.pool);
    const topic = entityTopic(prefix, 'pin');
    const streamPrefix = `${freshName('grow')}-`;
    const stream = `${streamPrefix}stream-pin`;
    const growQueue = freshName('test-grow');
    const growing = (shards: number): Config =>
      loadConfig({
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: prefix,
        PIPELINE_TASK_QUEUE: growQueue,
        STREAM_SCHEMA: schema,
        STREAM_ID_PREFIX: streamPrefix,
        STREAM_SHARDS: String(shards),
        STREAM_MAX_WAIT_MS: '200',
        STREAM_MAX_RECORDS_PER_PARTITION: '40',
      });
    const twoShards = growing(2);
    let worker: InProcessWorker | undefined = await startInProcessWorker(twoShards);
    try {
      const pins = readSampleRecords('pin').slice(0, 300);
      await sendRaw(clients.producer, prefix, 'pin', pins);
      const two = await startStreamShards(client, twoShards, admin, 'pin');
      const firstRun = await caughtUp(two, pins.length);
      assert.deepEqual(
        firstRun.map((s) => s.partitions.map((p) => p.partition)),
        [[0, 2], [1]],
      );

      // Stop: the shards, then the worker.
      await stopAll(two);
      await worker.stop();
      worker = undefined;

      // Change: 3 → 6 partitions. A producer sees them only after its next metadata refresh (kafkajs:
      // metadataMaxAge, 5 minutes), so the edits go through a producer made after the change: the
      // posts whose key now falls to a new partition get their next event there.
      await clients.kafkaAdmin.createPartitions({ topicPartitions: [{ topic, count: 6 }] });
      await waitFor('the broker to have the new partitions', async () => {
        const { topics } = await clients.kafkaAdmin.fetchTopicMetadata({ topics: [topic] });
        return topics[0]?.partitions.length === 6 ? true : undefined;
      });
      const edited: Record<string, unknown>[] = pins.map((p) => ({
        ...p,
        title: `${String(p.title)} (after adding partitions)`,
      }));
      const kafka = createKafka(base);
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await sendRaw(producer, prefix, 'pin', edited);
      } finally {
        await producer.disconnect();
      }
      const fresh = kafka.admin();
      await fresh.connect();
      const high = await fresh.fetchTopicOffsets(topic).finally(() => fresh.disconnect());
      const inNew = high.filter((h) => h.partition >= 3).map((h) => Number(h.high));
      assert.equal(inNew.length, 3, 'six partitions');
      assert.ok(
        inNew.every((n) => n > 0),
        `each new partition holds records: ${inNew}`,
      );

      // Start: a worker, then three shards. A worker that ran on through the change would read the new
      // partitions only once its Kafka reader's consumer refreshed its metadata (kafkajs metadataMaxAge:
      // up to 5 minutes, the shards showing their lag meanwhile); a worker started after it reads
      // them at once.
      const threeShards = growing(3);
      worker = await startInProcessWorker(threeShards);
      const three = await startStreamShards(client, threeShards, admin, 'pin');
      assert.deepEqual(three, [`${stream}-0`, `${stream}-1`, `${stream}-2`]);
      const secondRun = await caughtUp(three, pins.length + edited.length);
      assert.deepEqual(
        secondRun.map((s) => s.partitions.map((p) => p.partition)),
        [
          [0, 3],
          [1, 4],
          [2, 5],
        ],
      );
      await stopAll(three);

      // Exactly once, every partition read to its end, the new ones included.
      const rows = await offsets(stream, schema);
      assert.deepEqual(
        rows.map((r) => [r.partition, r.next]),
        high.map((h) => [h.partition, h.high]).sort(([a], [b]) => Number(a) - Number(b)),
      );
      for (const r of rows)
        assert.equal(r.applied, r.next, `partition ${r.partition}: each offset applied once`);
      assert.equal(
        rows.reduce((n, r) => n + Number(r.applied), 0),
        pins.length + edited.length,
      );

      // Each post holds its edit, including the posts whose edit went to another partition than their
      // first event (between partitions, the later Kafka timestamp wins).
      await assertPinTableIsLatest(clients.pool, schema, [...pins, ...edited]);
      const { rows: moved } = await clients.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(schema)}.pin WHERE source_partition >= 3`,
      );
      assert.ok(moved[0]!.n > 0, 'posts whose latest event is in a new partition');
    } finally {
      await worker?.stop();
      await deleteTestTopics(clients.kafkaAdmin, prefix);
      await dropSchema(clients.pool, schema);
    }
  });
});
