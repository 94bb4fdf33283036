// The speed layer under bad data and small faults, on the real stack: poison written straight to
// Kafka (no API in front), a row PostgreSQL itself refuses, offsets with gaps (transactions), an idle
// wait longer than the heartbeat timeout, a connection that stops answering, a stop sent while no
// worker ran. Each time: nothing lost, nothing applied twice, nothing frozen.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { cleanRecord } from '../../domain/entities.ts';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type StreamStatus,
} from '../../domain/stream-wire.ts';
import { allTopics, entityTopic, type Entity } from '../../domain/wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { ensureTopics } from '../../infra/provision.ts';
import { liveLag, readStreamStatus } from '../../infra/stream-status.ts';
import { StreamReader } from '../../activities/stream-reader.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { startStream } from '../../workers/streams.ts';
import { stream, type StreamInput } from '../../workflows/stream.ts';
import { openTestClients } from '../support/clients.ts';
import { readTopics } from '../support/kafka-read.ts';
import { streamInputFor } from '../support/stream-input.ts';
import { createPrivateBroker, type PrivateBroker } from '../support/kafka-broker.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import {
  createSpeedSchema,
  createTestTopics,
  deleteTestTopics,
  dropSchema,
  freshTestTopics,
  sendInTransactions,
  sendRaw,
  startSpeedTestbed,
  type SpeedTestbed,
} from '../support/stream-fixture.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const pins = readSampleRecords('pin');
const geo = readSampleRecords('geo')[0]!;
/** PostgreSQL refuses this title (a constraint the test adds): no cleaning rule knows it. */
const REFUSED_TITLE = 'refused by a constraint';

/** Raw messages no API validated, each with the reason it must be dead-lettered with. */
function poison(): { key: string; value: Buffer; reason: RegExp }[] {
  const base = pins[0]!;
  const json = (r: Record<string, unknown>) => Buffer.from(JSON.stringify(r));
  return [
    { key: '9001', value: Buffer.from('not json at all'), reason: /^value: not valid JSON$/ },
    // JSON.stringify writes the escapes `\ud800` and `\u0000`: valid JSON, text PostgreSQL cannot hold.
    {
      key: '9002',
      value: json({ ...base, index: 9002, title: '\ud800' }),
      reason: /^title: .*lone surrogate/,
    },
    {
      key: '9003',
      value: json({ ...base, index: 9003, description: 'a\u0000b' }),
      reason: /^description: contains a NUL/,
    },
    {
      key: '9004',
      value: json({ ...base, index: 9004, description: 'x'.repeat(1_000_000) }),
      reason: /^description: Too big/,
    },
    { key: String(geo.ind), value: json(geo), reason: /unknown field/ },
    // Bytes that are not text at all: a NUL byte and invalid UTF-8.
    { key: '9006', value: Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]), reason: /^value: not valid JSON$/ },
    {
      key: '9007',
      value: json({ ...base, index: 9007, title: REFUSED_TITLE }),
      reason: /^pin_title_check: PostgreSQL refused it \(23514 check_violation\)$/,
    },
  ];
}

describe('speed layer integrity', () => {
  let speed: SpeedTestbed;
  let config: Config;
  let clients: PipelineClients;
  let connection: NativeConnection;
  let client: Client;
  let schema: string;
  const taskQueue = freshName('test-stream-integrity');

  before(async () => {
    speed = await startSpeedTestbed(taskQueue);
    ({ config, clients, connection, client, schema } = speed);
    await clients.pool.query(
      `ALTER TABLE ${pg.escapeIdentifier(schema)}.pin ADD CONSTRAINT pin_title_check CHECK (title IS DISTINCT FROM $$${REFUSED_TITLE}$$)`,
    );
  });

  after(() => speed.close());

  const input = (entity: Entity, overrides: Partial<StreamInput> = {}) =>
    streamInputFor(config.KAFKA_TOPIC_PREFIX, schema, entity, overrides);

  const start = (i: StreamInput): Promise<WorkflowHandle<typeof stream>> =>
    client.workflow.start(stream, { workflowId: i.stream, taskQueue, args: [i] });

  const lagNow = async (i: StreamInput) =>
    (await liveLag({ pool: clients.pool, admin: async () => clients.kafkaAdmin, schema }, i)).reduce(
      (n, p) => n + p.lag,
      0,
    );

  /** Waits until the stream applied `read` records and Kafka holds nothing it has not: checking it never retried. */
  async function caughtUp(handle: WorkflowHandle, i: StreamInput, read: number, timeoutMs = 60_000) {
    const states = new Set<string>();
    const status = await waitFor(
      `the stream to apply ${read} records`,
      async () => {
        const s = await handle.query(statusQuery);
        states.add(s.state);
        return s.totals.read >= read && (await lagNow(i)) === 0 ? s : undefined;
      },
      timeoutMs,
    );
    return { status, states };
  }

  async function stop(handle: WorkflowHandle): Promise<void> {
    await handle.signal(stopSignal);
    await handle.result();
  }

  test('poison written straight to Kafka is dead-lettered with its reason; the partition goes on', async () => {
    const i = input('pin');
    const bad = poison();
    const good = pins.slice(0, 120);
    const handle = await start(i);
    // Valid records around the poison, in every partition: before, between and after.
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', good.slice(0, 60));
    await clients.producer.send({
      topic: i.topic,
      acks: -1,
      messages: bad.map((b) => ({ key: b.key, value: b.value })),
    });
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', good.slice(60));
    const sent = good.length + bad.length;

    const { status, states } = await caughtUp(handle, i, sent);
    assert.equal(status.totals.read, sent, 'every record read once');
    assert.equal(status.totals.deadLettered, bad.length);
    assert.equal(status.totals.cleaned, good.length);
    assert.ok(!states.has('retrying'), `never retrying: ${[...states].join(', ')}`);

    const q = pg.escapeIdentifier(schema);
    const { rows: dead } = await clients.pool.query<{ offset: string; reason: string; raw: Buffer }>(
      `SELECT "offset", reason, raw FROM ${q}.dead_letters WHERE stream = $1`,
      [i.stream],
    );
    assert.equal(dead.length, bad.length, 'one dead letter per poison record, once');
    for (const b of bad) {
      const row = dead.find((d) => d.raw.equals(b.value));
      assert.ok(row, `dead letter of ${b.value.subarray(0, 30).toString('latin1')} (raw kept byte for byte)`);
      assert.match(row.reason, b.reason);
    }
    const { rows: applied } = await clients.pool.query<{ ind: number }>(
      `SELECT ind FROM ${q}.pin ORDER BY ind`,
    );
    const validInds = [...new Set(good.map((p) => Number(p.index)))].sort((a, b) => a - b);
    assert.deepEqual(
      applied.map((r) => r.ind),
      validInds,
      'every valid post applied, no poison',
    );

    // The dead-letter topic has them too (at least once), named by their source and with the reason.
    const letters = (await readTopics(clients.kafka, [i.deadLetterTopic], bad.length)).filter(
      (m) => m.headers.stream === i.stream,
    );
    assert.equal(new Set(letters.map((m) => m.key)).size, bad.length);
    for (const m of letters) assert.ok(m.key.startsWith(`${i.topic}/`) && m.headers.reason, m.key);
    const big = letters.find((m) => m.headers['truncated-from-bytes'] !== undefined);
    assert.ok(big, 'the 1 MB value is cut to fit the dead-letter topic, and says so');
    assert.ok(Number(big.headers['truncated-from-bytes']) > 1_000_000);

    // The history tells of no failure: poison never made a micro-batch fail.
    const { events } = await handle.fetchHistory();
    assert.equal((events ?? []).filter((e) => e.activityTaskFailedEventAttributes).length, 0);
    await stop(handle);
  });

  test('offsets with gaps (transaction markers, an aborted transaction) are passed, lag reaches 0', async () => {
    const i = input('user');
    const users = readSampleRecords('user').slice(0, 30);
    await sendInTransactions(clients.kafka, i.topic, [
      { records: users.slice(0, 10), commit: true },
      { records: users.slice(10, 20).map((u) => ({ ...u, first_name: 'Aborted' })), commit: false },
      { records: users.slice(20, 30), commit: true },
    ]);
    const handle = await start(i);
    // Committed records only; every offset of the log passed, the markers after the last record too.
    const { status } = await caughtUp(handle, i, 20);
    assert.equal(status.totals.read, 20);
    const { rows } = await clients.pool.query<{ n: number; aborted: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE user_name LIKE 'Aborted %')::int AS aborted
       FROM ${pg.escapeIdentifier(schema)}."user"`,
    );
    const distinct = new Set(
      users
        .slice(0, 10)
        .concat(users.slice(20))
        .map((u) => u.ind),
    ).size;
    assert.deepEqual(rows[0], { n: distinct, aborted: 0 });
    const watermarks = await clients.kafkaAdmin.fetchTopicOffsets(i.topic);
    const high = watermarks.reduce((n, w) => n + Number(w.high), 0);
    assert.ok(
      high > 30,
      `the log holds markers and aborted records beyond the 20 committed (${high} offsets)`,
    );
    assert.equal(await lagNow(i), 0);
    await stop(handle);
  });

  test('an idle micro-batch waiting longer than the heartbeat timeout keeps heartbeating', async () => {
    const i = input('geo', {
      maxWaitMs: 9_000,
      heartbeatTimeoutMs: 3_000,
      idleBackoffMs: { initial: 50, max: 50 },
    });
    const handle = await start(i);
    // Long enough for the first idle batch to wait its 9 s and a second to start.
    await new Promise((r) => setTimeout(r, 12_000));
    const { events } = await handle.fetchHistory();
    assert.equal(
      (events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes).length,
      0,
      'no micro-batch timed out',
    );
    const s: StreamStatus = await handle.query(statusQuery);
    assert.ok(s.totals.batches >= 1, 'the idle batch completed');
    assert.equal(s.retrying, null);
    await stop(handle);
  });

  test('the lag shown is against Kafka now, not as of the last batch', async () => {
    const i = input('user');
    const handle = await start(i);
    await caughtUp(handle, i, 0);
    await handle.signal(pauseSignal);
    await waitFor('the stream to pause', async () =>
      (await handle.query(statusQuery)).state === 'paused' ? true : undefined,
    );
    const users = readSampleRecords('user').slice(100, 125);
    await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'user', users);
    const deps = { temporal: client, pool: clients.pool, admin: async () => clients.kafkaAdmin, schema };
    const view = await readStreamStatus(deps, {
      stream: i.stream,
      entity: i.entity,
      topic: i.topic,
      workflowId: i.stream,
    });
    assert.equal(view.state, 'paused');
    assert.equal(view.status?.lag, 0, 'the workflow knows only its last batch');
    assert.equal(view.lag, users.length, 'the reader measures Kafka now');
    await handle.signal(resumeSignal);
    await caughtUp(handle, i, users.length);
    await stop(handle);
  });

  test('a stop no worker took is withdrawn by a start: the stream runs, and status showed it waiting', async () => {
    const queue = freshName('test-stream-unpolled');
    const streamConfig = { ...config, PIPELINE_TASK_QUEUE: queue };
    const i = input('geo');
    await startStream(client, streamConfig, i);
    await client.workflow.getHandle(i.stream).signal(stopSignal);
    await startStream(client, streamConfig, i);
    const deps = { temporal: client, pool: clients.pool, admin: async () => clients.kafkaAdmin, schema };
    const ref = { stream: i.stream, entity: i.entity, topic: i.topic, workflowId: i.stream };
    const waiting = await readStreamStatus(deps, ref);
    assert.equal(waiting.state, 'not answering');
    assert.deepEqual(waiting.pendingSignals, ['start', 'stop', 'start']);

    const late = await createPipelineWorker(config, clients, connection, queue);
    await late.runUntil(async () => {
      const geos = readSampleRecords('geo').slice(0, 10);
      await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'geo', geos);
      const handle = client.workflow.getHandle(i.stream);
      const { status } = await caughtUp(handle, i, geos.length);
      assert.ok(['running', 'idle'].includes(status.state), status.state);
      const after = await readStreamStatus(deps, ref);
      assert.equal(after.pendingSignals, undefined);
      await stop(handle);
    });
  });
});

describe('speed layer with a PostgreSQL connection that stops answering', () => {
  let proxy: TcpProxy;
  let config: Config;
  let clients: PipelineClients;
  let connection: NativeConnection;
  let client: Client;
  let closeClients: () => Promise<void>;
  let schema: string;
  const taskQueue = freshName('test-stream-halfopen');

  before(async () => {
    const base = loadConfig({});
    const url = new URL(base.DATABASE_URL);
    proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    url.hostname = '127.0.0.1';
    const prefix = await freshTestTopics(base);
    config = loadConfig({
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: prefix,
      PIPELINE_TASK_QUEUE: taskQueue,
      DATABASE_URL: url.toString(),
      DATABASE_QUERY_TIMEOUT_MS: '2000',
    });
    ({ clients, connection, client, close: closeClients } = await openTestClients(config));
    schema = await createSpeedSchema(clients.pool);
  });

  after(async () => {
    proxy.thaw();
    await deleteTestTopics(clients.kafkaAdmin, config.KAFKA_TOPIC_PREFIX);
    await dropSchema(clients.pool, schema);
    await closeClients();
    await proxy.close();
  });

  test('a micro-batch whose connection hangs fails in time and is retried; nothing lost or doubled', async () => {
    const worker = await createPipelineWorker(config, clients, connection, taskQueue);
    const i = streamInputFor(config.KAFKA_TOPIC_PREFIX, schema, 'pin', {
      maxRecordsPerPartition: 100,
      maxBatchesPerRun: 500,
      retryBackoffMs: { initial: 500, max: 2_000 },
    });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(stream, {
        workflowId: i.stream,
        taskQueue,
        args: [i],
      });
      const first = pins.slice(0, 100);
      await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', first);
      await waitFor('the first records', async () =>
        (await handle.query(statusQuery)).totals.read >= first.length ? true : undefined,
      );
      proxy.freeze();
      const rest = pins.slice(100, 300);
      await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', rest);
      const failing = await waitFor(
        'a micro-batch failing on the hung connection',
        async () => {
          const s = await handle.query(statusQuery);
          return s.retrying ? s : undefined;
        },
        60_000,
      );
      assert.equal(failing.retrying?.lastFailure.type, 'PostgresUnavailable');
      proxy.thaw();
      const status = await waitFor(
        'the stream to catch up',
        async () => {
          const s = await handle.query(statusQuery);
          return s.totals.read === first.length + rest.length && s.lag === 0 && !s.retrying ? s : undefined;
        },
        60_000,
      );
      assert.equal(status.totals.cleaned, first.length + rest.length);
      const { rows } = await clients.pool.query<{ applied: number }>(
        `SELECT sum(records_applied)::int AS applied FROM ${pg.escapeIdentifier(schema)}.stream_offsets WHERE stream = $1`,
        [i.stream],
      );
      assert.equal(rows[0]?.applied, first.length + rest.length, 'each record applied once');
      await handle.signal(stopSignal);
      await handle.result();
    });
  });
});

// Keeps the cleaning module in the test's imports honest: a poison record is one the cleaning refuses.
test('the poison the stream test writes is refused by the cleaning, or by PostgreSQL alone', () => {
  for (const b of poison()) {
    let value: unknown;
    try {
      value = JSON.parse(b.value.toString('utf8'));
    } catch {
      continue;
    }
    const cleaned = cleanRecord('pin', value);
    assert.equal(cleaned.ok, (value as { title?: unknown }).title === REFUSED_TITLE, b.key);
  }
});

describe('speed layer when the broker is killed (kill -9) and restarted', () => {
  let broker: PrivateBroker;
  let config: Config;
  let clients: PipelineClients;
  let connection: NativeConnection;
  let client: Client;
  let closeClients: () => Promise<void>;
  let schema: string;
  const taskQueue = freshName('test-stream-broker-kill');

  before(async () => {
    broker = await createPrivateBroker();
    await broker.start();
    config = loadConfig({
      LOG_LEVEL: 'silent',
      KAFKA_BROKERS: broker.address,
      PIPELINE_TASK_QUEUE: taskQueue,
    });
    const admin = createKafka(config).admin();
    await admin.connect();
    await ensureTopics(admin, allTopics(config.KAFKA_TOPIC_PREFIX), { partitions: 3, replicationFactor: 1 });
    await admin.disconnect();
    ({ clients, connection, client, close: closeClients } = await openTestClients(config));
    schema = await createSpeedSchema(clients.pool);
  });

  after(async () => {
    await dropSchema(clients.pool, schema);
    await closeClients();
    await broker.destroy();
  });

  test('the reader fetches again after its consumer restarted: the stream catches up, nothing doubled', async () => {
    const worker = await createPipelineWorker(config, clients, connection, taskQueue);
    const i = streamInputFor(config.KAFKA_TOPIC_PREFIX, schema, 'pin', {
      maxRecordsPerPartition: 100,
      maxBatchesPerRun: 1_000,
      retryBackoffMs: { initial: 500, max: 2_000 },
    });
    const deps = { pool: clients.pool, admin: async () => clients.kafkaAdmin, schema };
    const lag = async () => (await liveLag(deps, i)).reduce((n, p) => n + p.lag, 0);
    await worker.runUntil(async () => {
      const handle = await client.workflow.start(stream, {
        workflowId: i.stream,
        taskQueue,
        args: [i],
      });
      await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', pins.slice(0, 100));
      await waitFor('the first records', async () =>
        (await handle.query(statusQuery)).totals.read >= 100 ? true : undefined,
      );
      await broker.kill();
      await new Promise((r) => setTimeout(r, 3_000));
      await broker.start();
      // Long enough for the reader's consumer to give up and restart with positions of its own.
      await new Promise((r) => setTimeout(r, 12_000));
      await waitFor(
        'the producer to reconnect',
        () =>
          sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', pins.slice(100, 200)).then(
            () => true,
            () => undefined,
          ),
        60_000,
      );
      const status = await waitFor(
        'the stream to catch up after the restart',
        async () => {
          const s = await handle.query(statusQuery);
          return s.totals.read >= 200 && (await lag()) === 0 ? s : undefined;
        },
        60_000,
      );
      assert.equal(status.totals.read, 200, 'each record applied once');
      await handle.signal(stopSignal);
      await handle.result();
    });
  });
});

describe('stream reader memory', () => {
  test('buffers and micro-batches are bounded by bytes as well as by records', async () => {
    const base = loadConfig({});
    const kafka = createKafka(base);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    const prefix = await createTestTopics(admin, 1);
    const topic = entityTopic(prefix, 'pin');
    const reader = new StreamReader(kafka, [topic], freshName('test-reader'));
    try {
      const value = Buffer.alloc(700 * 1024, 0x61);
      for (let i = 0; i < 40; i++)
        await producer.send({ topic, acks: -1, messages: [{ key: String(i), value }] });
      await reader.start();
      const first = await reader.read({
        topic,
        from: new Map([[0, 0n]]),
        maxPerPartition: 5_000,
        maxWaitMs: 5_000,
      });
      const bytes = first.messages.reduce((n, m) => n + (m.value?.length ?? 0), 0);
      assert.ok(
        first.messages.length > 0 && first.messages.length < 40,
        `${first.messages.length} of 40 records taken`,
      );
      assert.ok(bytes <= 8 * 1024 * 1024 + value.length, `${bytes} bytes in one micro-batch`);
      // The buffer stops fetching above its bound (16 MiB, plus one fetch in flight).
      await new Promise((r) => setTimeout(r, 2_000));
      const held = reader.buffered(topic, 0);
      assert.ok(
        held.bytes <= 16 * 1024 * 1024 + 4 * 1024 * 1024 + value.length,
        `${held.bytes} bytes buffered`,
      );
      assert.ok(held.paused, 'fetching paused while the buffer is full');
      // Nothing is lost: reading on from each next offset gives every record once, in order.
      const offsets: bigint[] = first.messages.map((m) => m.offset);
      let from = first.next.get(0)!;
      while (from < 40n) {
        const more = await reader.read({
          topic,
          from: new Map([[0, from]]),
          maxPerPartition: 5_000,
          maxWaitMs: 5_000,
        });
        offsets.push(...more.messages.map((m) => m.offset));
        from = more.next.get(0)!;
      }
      assert.deepEqual(
        offsets,
        Array.from({ length: 40 }, (_, i) => BigInt(i)),
      );
    } finally {
      await reader.stop();
      await deleteTestTopics(admin, prefix);
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });
});
