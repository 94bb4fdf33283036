// The speed layer end to end on the real stack: Kafka → stream workflow (real worker) → PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type StreamStatus,
} from '../../domain/stream-wire.ts';
import { deadLetterTopic, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { stream, type StreamInput } from '../../workflows/stream.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import { streamInputFor } from '../support/stream-input.ts';
import {
  assertPinTableIsLatest,
  sendRaw,
  startSpeedTestbed,
  type SpeedTestbed,
} from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const INVALID = [
  'not json at all',
  JSON.stringify({ index: 'x' }),
  JSON.stringify({ ...readSampleRecords('pin')[0], follower_count: 'lots' }),
  JSON.stringify({ ...readSampleRecords('pin')[1], surprise: true }),
];

describe('speed layer stream', () => {
  let speed: SpeedTestbed;
  let config: Config;
  let clients: PipelineClients;
  let client: Client;
  let schema: string;
  const taskQueue = freshName('test-stream');

  before(async () => {
    speed = await startSpeedTestbed(taskQueue);
    ({ config, clients, client, schema } = speed);
  });

  after(() => speed.close());

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
    const pins = readSampleRecords('pin').slice(0, 300);
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

    await assertPinTableIsLatest(clients.pool, schema, [...pins, ...again]);

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
    const users = readSampleRecords('user');
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
