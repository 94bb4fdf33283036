// `npm run bench:stream -- [--records N] [--rate R] [--seconds S] [--workers W] [--shards K]` (not a
// test: it prints figures).
// The speed layer runs as it is deployed: W worker processes (`workers/main.ts`, as `npm run worker`
// starts them, 1 to 3, default 1) poll a fresh task queue, and each entity's stream runs as K shards
// (`startStreamShards`, as `npm run stream:start` starts them; K defaults to the project's default:
// STREAM_SHARDS, or one shard per 4 partitions of the topic). The fresh topics get max(3, K) partitions
// (KAFKA_TOPIC_PARTITIONS instead of 3 when set), so that every shard owns at least one.
// 1. Sustained throughput: N records per entity pre-loaded in the fresh topics, then the 3 × K shards
//    drain them into a fresh schema; records/s into PostgreSQL, from the start of the shards until
//    PostgreSQL's checkpoints (stream_offsets.records_applied) count every record.
//    - Each worker's share: read from the shards' workflow histories (every run, following
//      continue-as-new back to the first), not from the workers: each completed micro-batch's
//      ActivityTaskStarted event names the worker that ran it (its identity, `<pid>@<host>`, the SDK's
//      default, so the pid says which process) and its ActivityTaskCompleted result says how many
//      records it read. The histories are what Temporal recorded, whatever the workers' logs say;
//      micro-batches that read nothing (idle polls) are left out of the counts.
//    - CPU-µs per record: user + system CPU time of the worker processes (every thread: Temporal's
//      core, libuv's pool, JavaScript), read from /proc/<pid>/stat just before the shards start and
//      once every record is in PostgreSQL (bench/cpu.ts, as bench:batch does), over the 3 × N records.
//      PostgreSQL's, Kafka's, Temporal's and this process's CPU are not in it.
// 2. Freshness: the emulator posts R records/s for S seconds through a real ingest API process while
//    the shards keep running on the same workers; per row, the time from the record's Kafka timestamp
//    (set by the API's producer just before Kafka acknowledges it) to the row being committed in
//    PostgreSQL (ingested_at), as percentiles. Needs the source data set (npm run seed).
// Runs against the local stack with fresh names (topics, task queue, stream ids, schema, Schedule);
// cleans up after itself.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import pg from 'pg';
import type { MicroBatchResult } from '../activities/stream.ts';
import { defaultShardCount, stopSignal, streamName } from '../domain/stream-wire.ts';
import { ENTITIES, entityTopic, type Entity } from '../domain/wire.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool, type Pool } from '../infra/db.ts';
import { createKafka } from '../infra/kafka.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { startStreamShards } from '../workers/streams.ts';
import { readSeedInfo } from '../emulator/source-db.ts';
import type { Summary } from '../emulator/stats.ts';
import { emulatorSummary, ProcessGroup, type PipelineProcess } from '../scripts/pipeline-processes.ts';
import { freshName } from '../test/support/names.ts';
import { freePort } from '../test/support/net.ts';
import {
  createSpeedSchema,
  createTestTopics,
  deleteTestTopics,
  dropSchema,
} from '../test/support/stream-fixture.ts';
import { cpuPerRecord, cpuSeconds, idleCpuRate } from './cpu.ts';

const USAGE =
  'usage: npm run bench:stream -- [--records N] [--rate R] [--seconds S] [--workers 1|2|3] [--shards K]';
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
    shards: { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WORKERS = Number(values.workers);
const POSTS = 1_000_000;
/** The phase 1 fails when PostgreSQL's count of applied records has not moved for this long. */
const STALL_MS = 120_000;

const templates = Object.fromEntries(
  ENTITIES.map((e) => [
    e,
    readFileSync(new URL(`../test/fixtures/real-sample/${e}.jsonl`, import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  ]),
) as Record<Entity, Record<string, unknown>[]>;

let nextInd = 0;
function message(entity: Entity) {
  const list = templates[entity];
  const ind = nextInd++ % POSTS;
  const record = { ...list[ind % list.length], [entity === 'pin' ? 'index' : 'ind']: ind };
  return { key: String(ind), value: JSON.stringify(record) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const count = (n: number) => n.toLocaleString('en');

/** The real path: an API process producing to the bench's topics, and the emulator posting to it. */
async function emulateThroughApi(prefix: string): Promise<{ started: Date; summary: Summary }> {
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_PREFIX: prefix,
    API_PORT: String(await freePort()),
  };
  const logs = await mkdtemp(path.join(tmpdir(), 'bench-stream-'));
  const group = new ProcessGroup(env, { to: 'files', dir: logs });
  try {
    await group.startApi();
    const started = new Date();
    const emulator = await group.run('emulator', 'emulator/main.ts', [
      ...['--rate', String(RATE), '--duration', String(SECONDS), '--concurrency', '128'],
      ...['--api', `http://127.0.0.1:${group.config.API_PORT}`, '--json'],
    ]);
    const summary = emulatorSummary(emulator);
    if (!summary) throw new Error(`the emulator printed no summary (log: ${emulator.logFile})`);
    return { started, summary };
  } finally {
    await group.stopAll();
    await rm(logs, { recursive: true, force: true });
  }
}

/**
 * Waits until PostgreSQL's checkpoints count `records` applied records (cleaned or dead-lettered) for
 * every stream: the transaction that moves a checkpoint is the one that writes the rows.
 */
async function caughtUp(pool: Pool, schema: string, streams: string[], records: number): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const { rows } = await pool.query<{ stream: string; applied: string }>(
      `SELECT stream, sum(records_applied)::text AS applied FROM ${pg.escapeIdentifier(schema)}.stream_offsets
       WHERE stream = ANY($1) GROUP BY stream`,
      [streams],
    );
    if (rows.length === streams.length && rows.every((r) => Number(r.applied) >= records)) return;
    const total = rows.reduce((n, r) => n + Number(r.applied), 0);
    if (total !== last) [last, movedAt] = [total, Date.now()];
    if (Date.now() - movedAt > STALL_MS) {
      throw new Error(`no record applied for ${STALL_MS / 1000} s (${count(total)} so far)`);
    }
    await sleep(100);
  }
}

interface WorkerShare {
  batches: number;
  records: number;
  /** The shards (`pin`, `pin-0`, …) that ran micro-batches with records on this worker. */
  shards: Set<string>;
}

/**
 * Who ran the micro-batches that read records, by worker identity: every run of each shard (its
 * current one, then back through continue-as-new), ActivityTaskStarted's identity paired with the
 * ActivityTaskCompleted result of the same attempt.
 */
async function batchShares(client: Client, ids: string[], label: (id: string) => string) {
  const shares = new Map<string, WorkerShare>();
  for (const id of ids) {
    let runId: string | undefined;
    do {
      const events = (await client.workflow.getHandle(id, runId).fetchHistory()).events ?? [];
      const startedBy = new Map<string, string>();
      for (const e of events) {
        const started = e.activityTaskStartedEventAttributes;
        if (started) startedBy.set(String(e.eventId), started.identity ?? '');
        const completed = e.activityTaskCompletedEventAttributes;
        const payload = completed?.result?.payloads?.[0];
        if (!completed || !payload) continue;
        const result = defaultPayloadConverter.fromPayload<MicroBatchResult>(payload);
        if (!(result.read > 0)) continue;
        const identity = startedBy.get(String(completed.startedEventId)) ?? '';
        const share = shares.get(identity) ?? { batches: 0, records: 0, shards: new Set<string>() };
        share.batches++;
        share.records += result.read;
        share.shards.add(label(id));
        shares.set(identity, share);
      }
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    } while (runId);
  }
  return shares;
}

/** One line per worker process: its micro-batches, records and CPU time, and the shards it ran. */
function shareLines(
  workers: PipelineProcess[],
  shares: Map<string, WorkerShare>,
  cpu: number[],
  records: number,
): string[] {
  const cpuTotal = cpu.reduce((n, x) => n + x, 0);
  const pct = (x: number, of: number) => `${of ? ((100 * x) / of).toFixed(0) : 0}%`;
  const byPid = new Map([...shares].map(([identity, share]) => [Number(identity.split('@')[0]), share]));
  const lines = workers.map((w, i) => {
    const share = byPid.get(w.pid) ?? { batches: 0, records: 0, shards: new Set<string>() };
    byPid.delete(w.pid);
    const shards = share.shards.size ? [...share.shards].sort().join(' ') : 'none';
    return (
      `  w${i} (pid ${w.pid}): ${share.batches} micro-batches, ${count(share.records)} records ` +
      `(${pct(share.records, records)}), CPU ${cpu[i]!.toFixed(1)} s (${pct(cpu[i]!, cpuTotal)}); shards ${shards}`
    );
  });
  // Not one of the bench's workers: never expected on a fresh task queue, but said if it happens.
  for (const [pid, share] of byPid) {
    lines.push(
      `  another worker (pid ${pid}): ${share.batches} micro-batches, ${count(share.records)} records`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const base = loadConfigOrExit({ ...process.env, LOG_LEVEL: 'error' });
  const shards =
    values.shards === undefined
      ? (base.STREAM_SHARDS ?? defaultShardCount(base.KAFKA_TOPIC_PARTITIONS))
      : Number(values.shards);
  const valid = (n: number, max = Infinity) => Number.isInteger(n) && n >= 1 && n <= max;
  if (![RECORDS, RATE, SECONDS].every((n) => valid(n)) || !valid(WORKERS, 3) || !valid(shards, 256)) {
    console.error(USAGE);
    process.exit(2);
  }
  const partitions = Math.max(base.KAFKA_TOPIC_PARTITIONS, shards);
  console.log(
    `bench:stream: ${count(RECORDS)} records per entity, ${WORKERS} worker process(es), ` +
      `${shards} shard(s) per entity over ${partitions} partitions, ${cpus().length} CPUs`,
  );

  // Undone in reverse order at the end, whatever happened.
  const cleanups: (() => Promise<unknown>)[] = [];
  let failed = true;
  try {
    const pool = createPool(base);
    cleanups.push(() => pool.end());
    if (!(await readSeedInfo(pool))) {
      throw new Error('the source data set is empty: the emulator needs it (npm run seed)');
    }
    const kafka = createKafka(base);
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const prefix = await createTestTopics(admin, partitions);
    cleanups.push(() => deleteTestTopics(admin, prefix));
    const schema = await createSpeedSchema(pool);
    cleanups.push(() => dropSchema(pool, schema));
    const name = freshName('bench-stream');
    const env = {
      ...process.env,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: prefix,
      PIPELINE_TASK_QUEUE: name,
      STREAM_SCHEMA: schema,
      STREAM_ID_PREFIX: `${name}-`,
      STREAM_SHARDS: String(shards),
      // Each worker registers the daily Schedule at start-up: a fresh one, deleted at the end.
      BATCH_SCHEDULE_ID: `${name}-schedule`,
      BATCH_ID_PREFIX: `${name}-`,
    };
    const config = loadConfigOrExit(env);
    const temporal = await connectTemporal(config);
    cleanups.push(() => temporal.connection.close());
    cleanups.push(() =>
      temporal.client.schedule
        .getHandle(config.BATCH_SCHEDULE_ID)
        .delete()
        .catch(() => undefined),
    );
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    const logs = await mkdtemp(path.join(tmpdir(), 'bench-stream-workers-'));
    cleanups.push(() =>
      failed
        ? Promise.resolve(console.error(`worker logs kept in ${logs}`))
        : rm(logs, { recursive: true, force: true }),
    );
    const group = new ProcessGroup(env, { to: 'files', dir: logs });
    cleanups.push(() => group.stopAll());
    const workers: PipelineProcess[] = [];
    // One after the other: each registers the Schedule as it starts.
    for (let i = 0; i < WORKERS; i++) workers.push(await group.startWorker());
    console.log(`started ${WORKERS} worker process(es): pids ${workers.map((w) => w.pid).join(', ')}`);

    console.log(`pre-loading ${count(RECORDS)} records per entity into ${prefix}.*`);
    for (const entity of ENTITIES) {
      for (let sent = 0; sent < RECORDS; sent += 2_000) {
        const n = Math.min(2_000, RECORDS - sent);
        await producer.send({
          topic: entityTopic(prefix, entity),
          acks: -1,
          messages: Array.from({ length: n }, () => message(entity)),
        });
      }
    }

    const idle = await idleCpuRate(workers.map((w) => w.pid));
    const cpuBefore = await Promise.all(workers.map((w) => cpuSeconds(w.pid)));
    const started = performance.now();
    const ids: string[] = [];
    // Still running at the end (a failure on the way): terminated, so no shard waits for a worker.
    cleanups.push(() =>
      Promise.all(
        ids.map((id) =>
          temporal.client.workflow
            .getHandle(id)
            .terminate()
            .catch(() => undefined),
        ),
      ),
    );
    for (const entity of ENTITIES) {
      ids.push(...(await startStreamShards(temporal.client, config, () => Promise.resolve(admin), entity)));
    }
    const streams = ENTITIES.map((e) => streamName(e, config.STREAM_ID_PREFIX));
    await Promise.race([caughtUp(pool, schema, streams, RECORDS), group.crashed]);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = await Promise.all(workers.map((w) => cpuSeconds(w.pid)));
    const cpu = cpuAfter.map((a, i) =>
      a === undefined || cpuBefore[i] === undefined ? 0 : a - cpuBefore[i],
    );
    const total = 3 * RECORDS;

    const shares = await batchShares(temporal.client, ids, (id) =>
      id.slice(`${config.STREAM_ID_PREFIX}stream-`.length),
    );
    const batches = [...shares.values()].reduce((n, s) => n + s.batches, 0);
    console.log(
      `throughput: ${count(total)} records in ${seconds.toFixed(1)} s = ` +
        `${count(Math.round(total / seconds))} records/s into PostgreSQL (${batches} micro-batches with records)`,
    );
    console.log(
      `worker shares (from the shards' workflow histories: who ran each micro-batch, and what it read):`,
    );
    for (const line of shareLines(workers, shares, cpu, total)) console.log(line);
    const cpuTotal = cpu.reduce((n, x) => n + x, 0);
    console.log(
      `worker CPU (user + system, ${WORKERS} process(es)): ${cpuTotal.toFixed(1)} s, ` +
        cpuPerRecord(cpuTotal, idle, seconds, total),
    );

    console.log(`freshness: the emulator posting ${RATE} records/s for ${SECONDS} s through the ingest API`);
    const emulated = await Promise.race([emulateThroughApi(prefix), group.crashed]);
    const phaseStart = emulated.started;
    console.log(
      `  emulator: ${emulated.summary.accepted} records acknowledged (${emulated.summary.recordsPerSecond.toFixed(0)} records/s), ` +
        `${emulated.summary.rejected} rejected, ${emulated.summary.errors} errors; API latency p50 ` +
        `${emulated.summary.latencyMs.p50} ms, p99 ${emulated.summary.latencyMs.p99} ms`,
    );
    await sleep(3_000);
    const lags: number[] = [];
    const q = pg.escapeIdentifier(schema);
    for (const entity of ENTITIES) {
      // event_time is the record's Kafka timestamp, set by the API's producer just before Kafka
      // acknowledges it (and so before the API answers 202): this slightly overstates ack → visible.
      const { rows } = await pool.query<{ ms: number }>(
        `SELECT extract(epoch FROM ingested_at - event_time) * 1000 AS ms FROM ${q}.${pg.escapeIdentifier(entity)}
         WHERE event_time >= $1`,
        [phaseStart],
      );
      lags.push(...rows.map((r) => Number(r.ms)));
    }
    lags.sort((a, b) => a - b);
    console.log(
      `freshness over ${lags.length} rows: p50 ${percentile(lags, 50).toFixed(0)} ms, ` +
        `p90 ${percentile(lags, 90).toFixed(0)} ms, p99 ${percentile(lags, 99).toFixed(0)} ms, max ${lags.at(-1)?.toFixed(0)} ms`,
    );
    const handles = ids.map((id) => temporal.client.workflow.getHandle(id));
    await Promise.all(handles.map((h) => h.signal(stopSignal)));
    await Promise.race([Promise.all(handles.map((h) => h.result())), group.crashed]);
    failed = false;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err: unknown) => console.error('cleanup:', err));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
