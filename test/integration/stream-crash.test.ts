// Exactly once under crashes: a real worker process is killed with SIGKILL at random moments while
// records flow; once it runs again, PostgreSQL holds every record's latest event exactly once and
// the stored offsets match the topic.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { statusQuery, stopSignal } from '../../domain/stream-wire.ts';
import { loadConfig } from '../../infra/config.ts';
import { createPool, type Pool } from '../../infra/db.ts';
import { createKafka } from '../../infra/kafka.ts';
import { connectTemporal } from '../../infra/temporal.ts';
import { stream } from '../../workflows/stream.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import { streamInputFor } from '../support/stream-input.ts';
import {
  createSpeedSchema,
  createTestTopics,
  deleteTestTopics,
  dropSchema,
  sendRaw,
} from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KILLS = 5;
const MIN_BATCHES = 30;
const PER_BATCH = 250;
const POSTS = 1_500; // fewer posts than records: most posts get several events

const base = loadConfig({ LOG_LEVEL: 'warn' });
const kafka = createKafka(base);
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
let pool: Pool;
let prefix: string;
let schema: string;
let child: ChildProcess | undefined;
const taskQueue = freshName('test-crash');

async function applied(streamName: string): Promise<number> {
  const { rows } = await pool.query<{ n: string | null }>(
    `SELECT sum(records_applied) AS n FROM ${pg.escapeIdentifier(schema)}.stream_offsets WHERE stream = $1`,
    [streamName],
  );
  return Number(rows[0]?.n ?? 0);
}

function startWorker(): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix, PIPELINE_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  return proc;
}

function killWorker(): Promise<void> {
  const proc = child;
  child = undefined;
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

before(async () => {
  pool = createPool(base);
  await Promise.all([admin.connect(), producer.connect()]);
  prefix = await createTestTopics(admin);
  schema = await createSpeedSchema(pool);
});

after(async () => {
  await killWorker();
  await deleteTestTopics(admin, prefix);
  await dropSchema(pool, schema);
  await Promise.all([admin.disconnect(), producer.disconnect()]);
  await pool.end();
});

test('SIGKILL at random moments: every record applied exactly once, offsets match the topic', async () => {
  const template = readSampleRecords('pin')[0]!;
  const latest = new Map<number, string>();
  const record = (seq: number) => {
    const index = Math.floor(Math.random() * POSTS);
    latest.set(index, `event ${seq}`);
    return { ...template, index, title: `event ${seq}` };
  };

  const { client, connection } = await connectTemporal(base);
  const input = streamInputFor(prefix, schema, 'pin', {
    stream: freshName('stream-crash'),
    maxRecordsPerPartition: 200,
    idleBackoffMs: { initial: 50, max: 300 },
    heartbeatTimeoutMs: 3_000,
  });
  try {
    child = startWorker();
    const handle = await client.workflow.start(stream, {
      workflowId: input.stream,
      taskQueue,
      args: [input],
    });

    let crashing = true;
    let sent = 0;
    const produce = (async () => {
      for (let b = 0; b < MIN_BATCHES || crashing; b++) {
        await sendRaw(
          producer,
          prefix,
          'pin',
          Array.from({ length: PER_BATCH }, () => record(sent++)),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const crash = (async () => {
      for (let k = 0; k < KILLS; k++) {
        // Kill a worker that is doing work: once it has committed a batch, at a random moment.
        const before = await applied(input.stream);
        await waitFor(
          'the new worker to commit a batch',
          async () => ((await applied(input.stream)) > before ? true : undefined),
          60_000,
        );
        await new Promise((r) => setTimeout(r, Math.random() * 400));
        await killWorker();
        child = startWorker();
      }
      crashing = false;
    })();
    await Promise.all([produce, crash]);

    const total = sent;
    const status = await waitFor(
      'the stream to catch up after the crashes',
      async () => {
        const s = await handle.query(statusQuery);
        return s.totals.read === total && s.lag === 0 ? s : undefined;
      },
      120_000,
    );
    assert.equal(status.totals.cleaned, total);
    assert.equal(status.totals.deadLettered, 0);

    const q = pg.escapeIdentifier(schema);
    const { rows: offsets } = await pool.query(
      `SELECT partition, next_offset::int AS next, records_applied::int AS applied FROM ${q}.stream_offsets
       WHERE stream = $1 ORDER BY partition`,
      [input.stream],
    );
    const topicOffsets = await admin.fetchTopicOffsets(input.topic);
    assert.equal(
      offsets.reduce((n, o) => n + o.applied, 0),
      total,
      'records applied = records produced: no range applied twice',
    );
    for (const o of offsets) {
      assert.equal(o.applied, o.next, `partition ${o.partition}: applied once per offset`);
      assert.equal(String(o.next), topicOffsets.find((t) => t.partition === o.partition)?.high);
    }

    const { rows } = await pool.query<{ ind: number; title: string }>(`SELECT ind, title FROM ${q}.pin`);
    assert.equal(rows.length, latest.size, 'one row per post');
    for (const row of rows)
      assert.equal(row.title, latest.get(row.ind), `ind ${row.ind} holds its latest event`);

    // The kills did land in micro-batches: the histories (every run, across continue-as-new) show
    // them timing out, and the stream went on.
    let cutShort = 0;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${input.stream}'` })) {
      const history = await client.workflow.getHandle(input.stream, run.runId).fetchHistory();
      cutShort += (history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes).length;
    }
    console.log(`micro-batches cut short by a kill (heartbeat timeouts): ${cutShort}`);
    assert.ok(cutShort >= 1, 'at least one micro-batch was cut short by a kill and retried');
    assert.equal(status.retrying, null, 'no longer retrying once caught up');

    await handle.signal(stopSignal);
    await handle.result();
  } finally {
    await connection.close();
  }
});
