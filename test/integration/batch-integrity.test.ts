// The batch layer under the faults that used to cost a day, on the real stack: Kafka's retention
// deleting a day's records before a re-run, a day never archived whose records are gone, two runs of
// one day at once, a topic that would take timestamps far in the future, poison written straight to
// Kafka and a row PostgreSQL refuses; and the two layers agreeing on a post's latest event when its
// timestamps go backwards.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type NativeConnection } from '@temporalio/worker';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { archiveManifestKey, dayBounds, loadRefusedKey, reportKey, utcDay } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { statusQuery, stopSignal } from '../../domain/stream-wire.ts';
import { allTopics, ENTITIES, entityTopic, SEARCH_ATTRIBUTES } from '../../domain/wire.ts';
import { ensureTopics } from '../../infra/provision.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { createPipelineWorker } from '../../workers/pipeline-worker.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { stream } from '../../workflows/stream.ts';
import { deleteKeys, listKeys } from '../../activities/batch/s3-objects.ts';
import { DAY_1, DAY_2, fixtureMessages, type FixtureMessage } from '../support/batch-fixtures.ts';
import { createBatchHarness, type BatchHarness } from '../support/batch-harness.ts';
import { openTestClients } from '../support/clients.ts';
import { freshName } from '../support/names.ts';
import { streamInputFor } from '../support/stream-input.ts';
import { readSample, readSampleRecords } from '../support/records.ts';
import { createSpeedSchema, dropSchema, sendInTransactions } from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const { ConfigResourceTypes } = kafkajs;

/** What retention does: deletes every record of the topics up to their high watermarks. */
async function deleteAllRecords(h: BatchHarness): Promise<void> {
  const admin = h.clients.kafkaAdmin;
  for (const entity of ENTITIES) {
    const topic = entityTopic(h.config.KAFKA_TOPIC_PREFIX, entity);
    const partitions = (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      offset: p.high,
    }));
    await admin.deleteTopicRecords({ topic, partitions });
  }
}

async function rawObjects(h: BatchHarness, day: string): Promise<Record<string, string>> {
  const snapshot = await h.snapshotS3();
  return Object.fromEntries(
    Object.entries(snapshot).filter(([k]) => k.includes(`raw/`) && k.includes(`/dt=${day}/`)),
  );
}

function failureOf(err: unknown): { type?: string; message: string; nonRetryable?: boolean } {
  assert.ok(err instanceof WorkflowFailedError, String(err));
  let cause: unknown = err.cause;
  while (cause instanceof Error && cause.cause instanceof Error && !(cause as { type?: string }).type)
    cause = cause.cause;
  return cause as { type?: string; message: string; nonRetryable?: boolean };
}

describe('BatchDay after Kafka deleted the records (retention)', () => {
  let h: BatchHarness;
  const LATE_DAY = '2021-03-05';

  before(async () => {
    h = await createBatchHarness({ BATCH_OBJECT_RECORDS: '2' });
    await h.produce(fixtureMessages());
    // A day that is never run before its records are gone.
    const late = dayBounds(LATE_DAY).start + 3_600_000;
    await h.produce(
      readSample()
        .pin.slice(0, 3)
        .map((p, i) => ({
          entity: 'pin' as const,
          key: String(p.index),
          partition: i % 3,
          timestamp: late + i,
          value: JSON.stringify(p),
        })),
    );
    await h.startWorkers();
  });

  after(async () => {
    await h?.close();
  });

  test('a re-run rebuilds the day from its archive: same objects, same rows, same views', async () => {
    await h.runDay(DAY_1);
    const first = await h.runDay(DAY_2);
    const raw = await rawObjects(h, DAY_2);
    const tables = await h.snapshotTables();
    await deleteAllRecords(h);

    const again = await h.runDay(DAY_2);
    assert.equal(again.source, 'archive', 'the report says where the records came from');
    assert.deepEqual(again.totals, first.totals);
    for (const e of ENTITIES) {
      assert.ok(
        again.entities[e].exported.partitions.every((p) => p.source === 'archive'),
        e,
      );
    }
    assert.deepEqual(await rawObjects(h, DAY_2), raw, 'the archive is neither shrunk nor rewritten');
    assert.deepEqual(await h.snapshotTables(), tables, 'the rows and every view are as before');
    const views = Object.entries(tables).filter(([k]) => k.startsWith('views.'));
    assert.ok(
      views.every(([, rows]) => rows.length > 0),
      'no view is empty',
    );
  });

  test('a day with neither records in Kafka nor an archive fails, naming what is missing; rows stay', async () => {
    const tables = await h.snapshotTables();
    const err = await h.runDay(LATE_DAY).then(
      () => assert.fail('the day must not succeed'),
      (e: unknown) => e,
    );
    const failure = failureOf(err);
    assert.equal(failure.type, FAILURES.BatchDayExpired);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /pin partition 0: offsets before \d+/);
    assert.match(failure.message, /left as they are/);
    assert.deepEqual(await h.snapshotTables(), tables);
    const { rows } = await h.clients.pool.query<{ status: string }>(
      `SELECT status FROM ${pg.escapeIdentifier(h.config.BATCH_SCHEMA)}.days WHERE dt = $1`,
      [LATE_DAY],
    );
    assert.deepEqual(rows, [{ status: 'failed' }]);
  });

  test('a succeeded day whose archive is gone too keeps its rows and status; the failure is noted', async () => {
    const bucket = h.bucket;
    const root = h.config.BATCH_S3_PREFIX;
    const manifests = ENTITIES.flatMap((e) => [0, 1, 2].map((p) => archiveManifestKey(root, e, DAY_1, p)));
    await deleteKeys(bucket, [...manifests, reportKey(root, DAY_1)]);
    const tables = await h.snapshotTables();
    await assert.rejects(h.runDay(DAY_1), (e: unknown) => failureOf(e).type === FAILURES.BatchDayExpired);
    assert.deepEqual(await h.snapshotTables(), tables);
    const { rows } = await h.clients.pool.query<{ status: string; failed: string }>(
      `SELECT status, last_failure->>'error' AS failed FROM ${pg.escapeIdentifier(h.config.BATCH_SCHEMA)}.days WHERE dt = $1`,
      [DAY_1],
    );
    assert.equal(rows[0]?.status, 'succeeded');
    assert.match(rows[0]?.failed ?? '', /cannot be rebuilt/);
    // The raw objects themselves were not touched.
    assert.ok((await listKeys(bucket, `${root}raw/entity=pin/dt=${DAY_1}/`)).length > 0);
  });
});

describe('BatchDay: an empty day, one run of a day at a time, timestamps far in the future', () => {
  let h: BatchHarness;
  const BEFORE = '2021-04-10';
  const EMPTY = '2021-04-11';
  /** Kafka holds all of it (the retention below takes a record of the day before). */
  const AFTER = '2021-04-12';

  before(async () => {
    h = await createBatchHarness();
    const pin = readSample().pin[0]!;
    const msg = (day: string, minute: number): FixtureMessage => ({
      entity: 'pin',
      key: String(pin.index),
      partition: 0,
      timestamp: dayBounds(day).start + minute * 60_000,
      value: JSON.stringify(pin),
    });
    await h.produce([msg(BEFORE, 1), msg(BEFORE, 2), msg(BEFORE, 3), msg(AFTER, 1)]);
    await h.startWorkers();
  });

  after(async () => {
    await h?.close();
  });

  test('a day without events succeeds empty while Kafka still holds records from before it', async () => {
    // Retention took the first record only: the records of the day before are still there.
    const topic = entityTopic(h.config.KAFKA_TOPIC_PREFIX, 'pin');
    await h.clients.kafkaAdmin.fetchTopicOffsets(topic); // kafkajs deletes only from topics whose metadata it holds
    await h.clients.kafkaAdmin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] });
    const offsets = await h.clients.kafkaAdmin.fetchTopicOffsets(topic);
    assert.equal(offsets.find((p) => p.partition === 0)?.low, '1');
    const report = await h.runDay(EMPTY);
    assert.equal(report.totals.exported, 0);
    assert.equal(report.source, 'kafka');
  });

  test('a second run of a day waits for the first, then runs: the two never overlap', async () => {
    const first = h.client.workflow.start(batchDay, {
      workflowId: h.dayWorkflowId(AFTER),
      taskQueue: h.name,
      args: [{ date: AFTER, idPrefix: h.config.BATCH_ID_PREFIX }],
    });
    const secondId = `${h.name}-second-run-${AFTER}`;
    const second = await h.client.workflow.start(batchDay, {
      workflowId: secondId,
      taskQueue: h.name,
      args: [{ date: AFTER, idPrefix: h.config.BATCH_ID_PREFIX }],
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchDate, value: AFTER }],
    });
    await waitFor('the second run to say it waits', async () => {
      const attributes = (await second.describe()).searchAttributes as Record<string, unknown[]>;
      return attributes.BatchOutcome?.[0] === 'waiting' ? true : undefined;
    });
    const firstReport = await (await first).result();
    const secondReport = await second.result();
    assert.deepEqual(secondReport.totals, firstReport.totals);
    // Both worked under the day's id, one after the other.
    assert.equal(firstReport.workflowId, h.dayWorkflowId(AFTER));
    assert.equal(secondReport.workflowId, h.dayWorkflowId(AFTER));
    assert.notEqual(secondReport.runId, firstReport.runId);
    assert.ok(Date.parse(secondReport.startedAt) >= Date.parse(firstReport.finishedAt));
    const { events } = await second.fetchHistory();
    assert.ok(
      (events ?? []).some((e) => e.startChildWorkflowExecutionFailedEventAttributes),
      'the history shows the start refused while the first run had the day',
    );
  });

  test('the broker refuses a record timestamped far in the future; a topic that would take one fails the plan', async () => {
    const topic = entityTopic(h.config.KAFKA_TOPIC_PREFIX, 'geo');
    const producer = h.clients.kafka.producer();
    await producer.connect();
    try {
      await assert.rejects(
        producer.send({
          topic,
          acks: -1,
          messages: [{ key: '1', value: '{}', timestamp: String(Date.now() + 2 * 86_400_000) }],
        }),
        /timestamp/i,
      );
    } finally {
      await producer.disconnect();
    }
    // A topic made elsewhere, that takes any timestamp: the plan refuses to cut days on it.
    await h.clients.kafkaAdmin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            { name: 'retention.ms', value: '-1' },
            { name: 'message.timestamp.after.max.ms', value: '9223372036854775807' },
          ],
        },
      ],
    });
    const failure = await h.runDay(EMPTY).then(
      () => assert.fail('the plan must refuse the topic'),
      (e: unknown) => failureOf(e),
    );
    assert.equal(failure.type, FAILURES.BatchTopicMisconfigured);
    assert.match(failure.message, new RegExp(`topic ${topic}.*message\\.timestamp\\.after\\.max\\.ms`));
    // `npm run setup` puts the setting back on existing topics.
    await ensureTopics(h.clients.kafkaAdmin, allTopics(h.config.KAFKA_TOPIC_PREFIX), {
      partitions: 3,
      replicationFactor: 1,
    });
    assert.equal((await h.runDay(EMPTY)).totals.exported, 0);
  });
});

describe('BatchDay with poison written straight to Kafka and a row PostgreSQL refuses', () => {
  let h: BatchHarness;
  const DAY = '2021-05-01';
  const REFUSED_TITLE = 'refused by a constraint';

  before(async () => {
    h = await createBatchHarness();
    const q = pg.escapeIdentifier;
    await h.clients.pool.query(
      `ALTER TABLE ${q(h.config.BATCH_SCHEMA)}.pin ADD CONSTRAINT pin_title_check CHECK (title IS DISTINCT FROM $$${REFUSED_TITLE}$$)`,
    );
    await h.startWorkers();
  });

  after(async () => {
    await h?.close();
  });

  test('each bad record is a rejected line with its reason; the refused row is set apart; the day succeeds', async () => {
    const sample = readSample();
    const base = sample.pin[0] as unknown as Record<string, unknown>;
    const t = dayBounds(DAY).start + 3_600_000;
    const pinMsg = (ind: number, value: string | Buffer | null, i: number): FixtureMessage => ({
      entity: 'pin',
      key: String(ind),
      partition: ind % 3,
      timestamp: t + i,
      value,
    });
    const json = (r: Record<string, unknown>) => JSON.stringify(r);
    const good = sample.pin.slice(0, 20).map((p, i) => pinMsg(Number(p.index), JSON.stringify(p), i));
    const bad = [
      pinMsg(9001, 'not json at all', 100),
      pinMsg(9002, json({ ...base, index: 9002, title: '\ud800' }), 101),
      pinMsg(9003, json({ ...base, index: 9003, description: 'a\u0000b' }), 102),
      pinMsg(9004, json({ ...base, index: 9004, description: 'x'.repeat(1_000_000) }), 103),
      pinMsg(9005, json(sample.geo[0] as unknown as Record<string, unknown>), 104),
      pinMsg(9006, Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x7d]), 105),
    ];
    const refused = pinMsg(9007, json({ ...base, index: 9007, title: REFUSED_TITLE }), 106);
    await h.produce([...good, ...bad, refused]);

    const report: BatchDayReport = await h.runDay(DAY);
    const pin = report.entities.pin;
    assert.equal(pin.exported.records, good.length + bad.length + 1);
    assert.equal(pin.cleaned.in, pin.exported.records);
    assert.equal(pin.cleaned.rejected.total, bad.length);
    const reasons = Object.keys(pin.cleaned.rejected.byReason).join('\n');
    for (const why of [/not valid JSON/, /lone surrogate/, /NUL/, /Too big/, /unknown field/])
      assert.match(reasons, why);
    assert.deepEqual(pin.loadRefused, {
      total: 1,
      byReason: { 'pin_title_check: PostgreSQL refused it (23514 check_violation)': 1 },
    });
    const distinct = new Set(good.map((m) => m.key)).size;
    assert.equal(pin.loadedRows, distinct, 'every valid post loaded, the refused one set apart');
    const lines = await h.readLines(loadRefusedKey(h.config.BATCH_S3_PREFIX, 'pin', DAY));
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /"reason":"pin_title_check: .*"ind":9007/);
  });
});

describe('BatchDay over offsets with gaps (transactions)', () => {
  let h: BatchHarness;
  // Today: transaction markers are stamped by the broker's clock, so backdated records would not
  // share a day with their markers.
  const DAY = utcDay(Date.now());

  before(async () => {
    h = await createBatchHarness({ BATCH_OBJECT_RECORDS: '4' });
    await h.startWorkers();
  });

  after(async () => {
    await h?.close();
  });

  test('markers and aborted records are passed: the export ends, and holds the committed records only', async () => {
    const users = readSampleRecords('user').slice(0, 12);
    await sendInTransactions(h.clients.kafka, entityTopic(h.config.KAFKA_TOPIC_PREFIX, 'user'), [
      { records: users.slice(0, 4), commit: true },
      { records: users.slice(4, 8), commit: false },
      // The log ends on a commit marker: the last offsets of the day are no records at all.
      { records: users.slice(8, 12), commit: true },
    ]);
    const report = await h.runDay(DAY);
    assert.equal(report.entities.user.exported.records, 8, 'the committed records, not the aborted ones');
    assert.equal(report.entities.user.cleaned.out, 8);
    const high = (
      await h.clients.kafkaAdmin.fetchTopicOffsets(entityTopic(h.config.KAFKA_TOPIC_PREFIX, 'user'))
    ).reduce((n, p) => n + Number(p.high), 0);
    assert.ok(high > 12, `the log holds ${high} offsets for 12 records sent`);
  });
});

describe('both layers agree on a post\u2019s latest event when its timestamps go backwards', () => {
  let h: BatchHarness;
  let clients: PipelineClients;
  let connection: NativeConnection;
  let client: Client;
  let closeClients: () => Promise<void>;
  let schema: string;
  const DAY = '2021-06-01';

  before(async () => {
    h = await createBatchHarness();
    // The harness's own clients never read the topics; the stream's worker needs a reader.
    ({ clients, connection, client, close: closeClients } = await openTestClients(h.config));
    schema = await createSpeedSchema(clients.pool);
    await h.startWorkers();
  });

  after(async () => {
    await dropSchema(clients.pool, schema);
    await closeClients();
    await h?.close();
  });

  test('speed and batch rows are the same: the higher offset wins, not the later timestamp', async () => {
    const sample = readSample();
    const t = dayBounds(DAY).start + 12 * 3_600_000;
    const messages: FixtureMessage[] = [];
    // Each post three times; each event stamped an hour before the one before it.
    for (const [n, p] of sample.pin.slice(0, 30).entries()) {
      for (let v = 0; v < 3; v++) {
        messages.push({
          entity: 'pin',
          key: String(p.index),
          partition: Number(p.index) % 3,
          timestamp: t - v * 3_600_000 + n,
          value: JSON.stringify({ ...p, title: `version ${v}` }),
        });
      }
    }
    await h.produce(messages);
    await h.runDay(DAY);

    const queue = freshName('test-agree');
    const worker = await createPipelineWorker(h.config, clients, connection, queue);
    await worker.runUntil(async () => {
      const streamId = freshName('stream-agree');
      const handle = await client.workflow.start(stream, {
        workflowId: streamId,
        taskQueue: queue,
        args: [
          streamInputFor(h.config.KAFKA_TOPIC_PREFIX, schema, 'pin', {
            stream: streamId,
            maxRecordsPerPartition: 7,
          }),
        ],
      });
      await waitFor('the stream to apply every event', async () => {
        const s = await handle.query(statusQuery);
        return s.totals.read >= messages.length && s.lag === 0 ? true : undefined;
      });
      await handle.signal(stopSignal);
      await handle.result();
    });

    const q = pg.escapeIdentifier;
    const cols = 'ind, title, event_time, source_partition, source_offset';
    const speed = await clients.pool.query(`SELECT ${cols} FROM ${q(schema)}.pin ORDER BY ind`);
    const batch = await clients.pool.query(
      `SELECT ${cols} FROM ${q(h.config.BATCH_SCHEMA)}.pin WHERE dt = $1 ORDER BY ind`,
      [DAY],
    );
    assert.equal(speed.rows.length, 30);
    assert.deepEqual(batch.rows, speed.rows);
    assert.ok(
      speed.rows.every((r: { title: string }) => r.title === 'version 2'),
      'the last event sent wins, though its timestamp is the earliest',
    );
  });
});
