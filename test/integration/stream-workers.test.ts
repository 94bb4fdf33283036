// A sharded stream over three worker processes (`workers/main.ts`, as `npm run worker` runs them): the
// shards' micro-batches run on more than one worker, each record is applied exactly once, and the
// table equals what one worker makes of the same records (the latest event of each post).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { statusQuery, stopSignal } from '../../domain/stream-wire.ts';
import { loadConfig, type Config } from '../../infra/config.ts';
import type { PipelineClients } from '../../workers/clients.ts';
import { startStreamShards } from '../../workers/streams.ts';
import { openTestClients } from '../support/clients.ts';
import { freshName } from '../support/names.ts';
import { readSampleRecords } from '../support/records.ts';
import {
  assertPinTableIsLatest,
  createSpeedSchema,
  deleteTestTopics,
  dropSchema,
  freshTestTopics,
  sendRaw,
} from '../support/stream-fixture.ts';
import { waitFor } from '../support/wait.ts';

const WORKERS = 3;
const MAIN = path.join(import.meta.dirname, '..', '..', 'workers', 'main.ts');

let config: Config;
let env: NodeJS.ProcessEnv;
let clients: PipelineClients;
let client: Client;
let closeClients: () => Promise<void>;
let schema: string;
const workers: ChildProcess[] = [];

before(async () => {
  const prefix = await freshTestTopics();
  const base = loadConfig({ KAFKA_TOPIC_PREFIX: prefix });
  ({ clients, client, close: closeClients } = await openTestClients(base, { streamReader: false }));
  schema = await createSpeedSchema(clients.pool);
  const name = freshName('sw');
  env = {
    ...process.env,
    // Info: the worker's "worker started" line is how the test knows it polls.
    LOG_LEVEL: 'info',
    KAFKA_TOPIC_PREFIX: prefix,
    PIPELINE_TASK_QUEUE: name,
    STREAM_SCHEMA: schema,
    STREAM_ID_PREFIX: `${name}-`,
    STREAM_SHARDS: '3',
    // Continue as new every few batches: each new run's first batch goes to any worker.
    STREAM_MAX_BATCHES_PER_RUN: '3',
    STREAM_MAX_RECORDS_PER_PARTITION: '50',
    BATCH_SCHEDULE_ID: `${name}-schedule`,
    BATCH_ID_PREFIX: `${name}-`,
  };
  config = loadConfig(env);
  for (let i = 0; i < WORKERS; i++) workers.push(await startWorker());
});

after(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => (w.exitCode === null ? new Promise((r) => w.once('exit', r)) : null)));
  await client.schedule
    .getHandle(config.BATCH_SCHEDULE_ID)
    .delete()
    .catch(() => undefined);
  await deleteTestTopics(clients.kafkaAdmin, config.KAFKA_TOPIC_PREFIX);
  await dropSchema(clients.pool, schema);
  await closeClients();
});

/** A worker process, once it says it started. */
function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker started')) resolve(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it started:\n${output}`)));
  });
}

/** Who ran each micro-batch of a stream: the worker identities of every run of its shards. */
async function batchIdentities(stream: string): Promise<Map<string, number>> {
  const identities = new Map<string, number>();
  for await (const run of client.workflow.list({ query: `StreamName = '${stream}'` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity;
      if (identity) identities.set(identity, (identities.get(identity) ?? 0) + 1);
    }
  }
  return identities;
}

test('three worker processes share a stream of three shards; every record applied once', async () => {
  const pins = readSampleRecords('pin');
  const edited: Record<string, unknown>[] = pins
    .slice(0, 200)
    .map((p) => ({ ...p, title: `${String(p.title)} (edited)` }));
  await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', pins);
  const ids = await startStreamShards(client, config, () => Promise.resolve(clients.kafkaAdmin), 'pin');
  assert.equal(ids.length, 3);
  await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', edited);
  const sent = pins.length + edited.length;

  // Caught up, and each shard continued as new a few times (each new run is placed anew).
  await waitFor(
    'the shards to apply every record and continue as new',
    async () => {
      const all = await Promise.all(ids.map((id) => client.workflow.getHandle(id).query(statusQuery)));
      const read = all.reduce((n, s) => n + s.totals.read, 0);
      return read === sent && all.every((s) => s.lag === 0 && s.generation >= 4) ? all : undefined;
    },
    120_000,
  );
  await Promise.all(
    ids.map(async (id) => {
      await client.workflow.getHandle(id).signal(stopSignal);
      await client.workflow.getHandle(id).result();
    }),
  );

  const identities = await batchIdentities(`${config.STREAM_ID_PREFIX}stream-pin`);
  assert.ok(
    identities.size >= 2,
    `micro-batches ran on ${identities.size} worker(s): ${[...identities.keys()]}`,
  );

  const q = pg.escapeIdentifier;
  const { rows: offsets } = await clients.pool.query<{ partition: number; next: string; applied: string }>(
    `SELECT partition, next_offset AS next, records_applied AS applied FROM ${q(schema)}.stream_offsets
     WHERE stream = $1 ORDER BY partition`,
    [`${config.STREAM_ID_PREFIX}stream-pin`],
  );
  assert.deepEqual(
    offsets.map((o) => o.partition),
    [0, 1, 2],
  );
  for (const o of offsets)
    assert.equal(o.applied, o.next, `partition ${o.partition}: each offset applied once`);
  assert.equal(
    offsets.reduce((n, o) => n + Number(o.applied), 0),
    sent,
  );

  // What one process makes of the same records: each post's latest event, cleaned.
  await assertPinTableIsLatest(clients.pool, schema, [...pins, ...edited]);
});
