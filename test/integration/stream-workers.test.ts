// A sharded stream over three worker processes (`workers/main.ts`, as `npm run worker` runs them): the
// shards' micro-batches run on more than one worker, each record is applied exactly once, and the
// table equals what one worker makes of the same records (the latest event of each post). Then one of
// the workers is killed while a shard's batches stick to it: the shard goes on on another worker.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import pg from 'pg';
import {
  pauseSignal,
  resumeSignal,
  statusQuery,
  stopSignal,
  type StreamStatus,
} from '../../domain/stream-wire.ts';
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
const { TimeoutType } = proto.temporal.api.enums.v1;

let config: Config;
let env: NodeJS.ProcessEnv;
let clients: PipelineClients;
let client: Client;
let closeClients: () => Promise<void>;
let schema: string;
/** Further schemas the tests create (dropped after them). */
const schemas: string[] = [];
const workers: ChildProcess[] = [];
/** Each worker process's own task queue (`<queue>@<host>-<pid>`), as its "worker started" line says. */
const localQueues = new Map<ChildProcess, string>();
/** Every pin record sent to the topic by the tests of this file, in the order Kafka took them. */
const sentToTopic: Record<string, unknown>[] = [];

async function send(records: Record<string, unknown>[]): Promise<void> {
  await sendRaw(clients.producer, config.KAFKA_TOPIC_PREFIX, 'pin', records);
  sentToTopic.push(...records);
}

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

const running = (w: ChildProcess) => w.exitCode === null && w.signalCode === null;

after(async () => {
  // A worker killed by a signal has exitCode null and signalCode set: it is not waited for again.
  const alive = workers.filter(running);
  for (const w of alive) w.kill('SIGTERM');
  await Promise.all(alive.map((w) => (running(w) ? new Promise((r) => w.once('exit', r)) : null)));
  await client.schedule
    .getHandle(config.BATCH_SCHEDULE_ID)
    .delete()
    .catch(() => undefined);
  await deleteTestTopics(clients.kafkaAdmin, config.KAFKA_TOPIC_PREFIX);
  for (const s of [schema, ...schemas]) await dropSchema(clients.pool, s);
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
      // Read on after the start (a pipe not read would block the worker), but keep no more of it.
      if (localQueues.has(child)) return;
      output += chunk.toString();
      const lines = output.split('\n').slice(0, -1);
      const started = lines.find((line) => line.includes('"worker started"'));
      if (started === undefined) return;
      localQueues.set(child, (JSON.parse(started) as { localQueue: string }).localQueue);
      resolve(child);
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
  await send(pins);
  const ids = await startStreamShards(client, config, () => Promise.resolve(clients.kafkaAdmin), 'pin');
  assert.equal(ids.length, 3);
  await send(edited);
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

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;

/** One micro-batch in a shard's history: the queue it was sent to, who ran it and how it ended. */
interface BatchEvents {
  queue: string;
  /** The worker identity that started it (Temporal writes the start with the batch's end). */
  startedBy?: string;
  outcome?: 'completed' | 'failed' | 'timed out';
  timeoutType?: proto.temporal.api.enums.v1.TimeoutType;
}

/** The micro-batches of a history, in order (a shard runs one at a time). */
function batchesOf(events: HistoryEvent[]): BatchEvents[] {
  const id = (eventId: unknown) => String(eventId);
  const batches = new Map<string, BatchEvents>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) batches.set(id(e.eventId), { queue: scheduled.taskQueue?.name ?? '' });
    const started = e.activityTaskStartedEventAttributes;
    const startedBatch = started && batches.get(id(started.scheduledEventId));
    if (startedBatch) startedBatch.startedBy = started.identity ?? undefined;
    const completed = e.activityTaskCompletedEventAttributes;
    const completedBatch = completed && batches.get(id(completed.scheduledEventId));
    if (completedBatch) completedBatch.outcome = 'completed';
    const failed = e.activityTaskFailedEventAttributes;
    const failedBatch = failed && batches.get(id(failed.scheduledEventId));
    if (failedBatch) failedBatch.outcome = 'failed';
    const timedOut = e.activityTaskTimedOutEventAttributes;
    const timedOutBatch = timedOut && batches.get(id(timedOut.scheduledEventId));
    if (timedOutBatch) {
      timedOutBatch.outcome = 'timed out';
      timedOutBatch.timeoutType = timedOut.failure?.timeoutFailureInfo?.timeoutType ?? undefined;
    }
  }
  return [...batches.values()];
}

async function historyOf(workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

// Reuses the three worker processes of the test above (three more would take ~10 s to start on a
// small machine), and a stream of its own: another name and schema over the same topic, so it reads
// the topic from its first offset whatever the test above did, and `sentToTopic` is what it must hold.
test('a worker killed (SIGKILL) while a shard’s batches stick to it: the shard goes on on another worker, every record applied once', async () => {
  const alive = workers.filter(running);
  assert.equal(alive.length, WORKERS, 'the worker processes are up');
  const killSchema = await createSpeedSchema(clients.pool);
  schemas.push(killSchema);
  const killConfig = loadConfig({
    ...env,
    STREAM_SCHEMA: killSchema,
    STREAM_ID_PREFIX: `${freshName('kill')}-`,
    // One run per shard for the whole test: a continue-as-new would send the next batch to the shared
    // queue, and a kill just before it would not be noticed by the stream at all.
    STREAM_MAX_BATCHES_PER_RUN: '10000',
  });
  const stream = `${killConfig.STREAM_ID_PREFIX}stream-pin`;
  const pins = readSampleRecords('pin');
  let flowing = 0;
  const flow = (n: number) =>
    Array.from({ length: n }, () => {
      const p = pins[flowing % pins.length]!;
      return { ...p, title: `${String(p.title)} (flow ${flowing++})` };
    });

  await send(flow(150));
  const ids = await startStreamShards(client, killConfig, () => Promise.resolve(clients.kafkaAdmin), 'pin');
  assert.equal(ids.length, 3);
  // Records keep coming, before the kill and after it.
  let producing = true;
  const producer = (async () => {
    while (producing) {
      await send(flow(15));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const shards = ids.map((id) => client.workflow.getHandle(id));
  const signalAll = (signal: typeof pauseSignal | typeof resumeSignal) =>
    Promise.all(shards.map((h) => h.signal(signal)));

  // A shard whose batches stick to a worker: its last batch completed, sent to that worker's own
  // queue (so the one before it ran there too). The shards are paused to look, so that the worker is
  // killed between two batches: the shard's next batch is then sent to the dead worker's queue for
  // certain (a kill in the middle of a batch is noticed by the heartbeat timeout instead, on any
  // queue: stream-crash.test.ts).
  const sticking = await waitFor(
    'a shard’s micro-batches to stick to one worker',
    async () => {
      await signalAll(pauseSignal);
      await waitFor(
        'the shards to pause',
        async () => {
          const all = await Promise.all(shards.map((h) => h.query(statusQuery)));
          return all.every((st) => st.state === 'paused') ? true : undefined;
        },
        60_000,
      );
      for (const id of ids) {
        const batches = batchesOf(await historyOf(id));
        const last = batches.at(-1);
        const victim = alive.find((w) => localQueues.get(w) === last?.queue);
        if (victim && last?.outcome === 'completed' && last.startedBy)
          return {
            shard: id,
            victim,
            deadQueue: last.queue,
            deadIdentity: last.startedBy,
            before: batches.length,
          };
      }
      await signalAll(resumeSignal);
      await new Promise((r) => setTimeout(r, 500));
      return undefined;
    },
    60_000,
  );
  const { shard, victim, deadQueue, deadIdentity } = sticking;
  const killedAt = Date.now();
  await new Promise((resolve) => {
    victim.once('exit', resolve);
    victim.kill('SIGKILL');
  });
  await signalAll(resumeSignal);
  await new Promise((r) => setTimeout(r, 3_000));
  producing = false;
  await producer;
  // And some more once the shards run again, which the other workers must apply.
  await send(flow(50));
  const sent = sentToTopic.length;

  // Caught up, no shard retrying.
  const statuses = await waitFor(
    'the shards to apply every record after the kill',
    async () => {
      const all = await Promise.all(shards.map((h) => h.query(statusQuery)));
      const read = all.reduce((n, st) => n + st.totals.read, 0);
      return read === sent && all.every((st) => st.lag === 0 && st.retrying === null) ? all : undefined;
    },
    90_000,
  );
  const recoveredIn = Date.now() - killedAt;
  for (const st of statuses) assertNotStuck(st);

  // The shard's next batch went to the dead worker's queue and timed out waiting for it; every batch
  // after it went elsewhere, and completed on another worker.
  const batches = batchesOf(await historyOf(shard));
  const failed = batches[sticking.before];
  assert.deepEqual(
    failed && { queue: failed.queue, outcome: failed.outcome, timeout: failed.timeoutType },
    { queue: deadQueue, outcome: 'timed out', timeout: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START },
    'the batch after the kill was sent to the dead worker and timed out before it started',
  );
  const later = batches.slice(sticking.before + 1);
  assert.ok(
    later.every((b) => b.queue !== deadQueue && b.startedBy !== deadIdentity),
    `no batch was sent to the killed worker ${deadIdentity} after that`,
  );
  const completedElsewhere = later.filter((b) => b.outcome === 'completed');
  assert.ok(completedElsewhere.length > 0, 'later batches completed on another worker');
  console.log(
    `killed ${deadIdentity} while ${shard} stuck to it; its next batch timed out (schedule to start), ` +
      `then ${completedElsewhere.length} batch(es) on ${[...new Set(completedElsewhere.map((b) => b.startedBy))]}; ` +
      `caught up ${recoveredIn} ms after the kill`,
  );

  // Still running (not stuck): the shards answer, and stop when told.
  await Promise.all(
    shards.map(async (h) => {
      await h.signal(stopSignal);
      await h.result();
    }),
  );

  const q = pg.escapeIdentifier;
  const { rows: offsets } = await clients.pool.query<{ partition: number; next: string; applied: string }>(
    `SELECT partition, next_offset AS next, records_applied AS applied FROM ${q(killSchema)}.stream_offsets
     WHERE stream = $1 ORDER BY partition`,
    [stream],
  );
  const high = await clients.kafkaAdmin.fetchTopicOffsets(statuses[0]!.topic);
  assert.deepEqual(
    offsets.map((o) => [o.partition, o.next]),
    high.map((h) => [h.partition, h.high]).sort(([a], [b]) => Number(a) - Number(b)),
    'every partition read to its end',
  );
  for (const o of offsets)
    assert.equal(o.applied, o.next, `partition ${o.partition}: each offset applied once`);
  assert.equal(
    offsets.reduce((n, o) => n + Number(o.applied), 0),
    sent,
  );
  await assertPinTableIsLatest(clients.pool, killSchema, sentToTopic);
});

function assertNotStuck(s: StreamStatus): void {
  assert.ok(['running', 'idle'].includes(s.state), `shard ${s.shard?.index}: ${s.state}`);
  assert.equal(s.retrying, null);
  assert.equal(s.lag, 0);
}
