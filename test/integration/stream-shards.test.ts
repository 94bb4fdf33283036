// A stream as K shards on the real stack: each shard a workflow owning the partitions p with
// p mod K = its index, all of them started by the command's own code (workers/streams.ts). Then
// re-sharding as documented: starting another count beside running shards is refused; stop, change
// STREAM_SHARDS, start: the new shards go on from the same per-partition offsets, and every record is
// applied exactly once across both shard counts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { statusQuery, stopSignal, type StreamStatus } from '../../domain/stream-wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { ReshardWhileRunningError, startStreamShards } from '../../workers/streams.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import { sendRaw, startSpeedTestbed, type SpeedTestbed } from '../support/stream-fixture.ts';
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

  async function offsets(stream: string) {
    const { rows } = await clients.pool.query<{ partition: number; next: string; applied: string }>(
      `SELECT partition, next_offset AS next, records_applied AS applied
       FROM ${pg.escapeIdentifier(speed.schema)}.stream_offsets WHERE stream = $1 ORDER BY partition`,
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
});
