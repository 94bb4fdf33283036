// `npm run bench:stream -- [--records N] [--rate R] [--seconds S]` (not a test: it prints figures).
// 1. Sustained throughput: N records per entity pre-loaded in fresh topics, three streams (one per
//    entity) on an in-process worker drain them into a fresh schema; records/s into PostgreSQL.
// 2. Freshness: the emulator posts R records/s for S seconds through a real ingest API process while
//    the streams run; per row, the time from the record's Kafka timestamp (set by the API's producer
//    just before Kafka acknowledges it) to the row being committed in PostgreSQL (ingested_at), as
//    percentiles. Needs the source data set (npm run seed).
// Runs against the local stack with fresh names; cleans up after itself.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import pg from 'pg';
import { statusQuery, stopSignal } from '../domain/stream-wire.ts';
import { deadLetterTopic, ENTITIES, entityTopic, type Entity } from '../domain/wire.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { createKafka } from '../infra/kafka.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { openPipelineClients } from '../workers/clients.ts';
import { createPipelineWorker } from '../workers/pipeline-worker.ts';
import { stream, type StreamInput } from '../workflows/stream.ts';
import { readSeedInfo } from '../emulator/source-db.ts';
import type { Summary } from '../emulator/stats.ts';
import { emulatorSummary, ProcessGroup } from '../scripts/pipeline-processes.ts';
import { freshName } from '../test/support/names.ts';
import { freePort } from '../test/support/net.ts';
import {
  createSpeedSchema,
  createTestTopics,
  deleteTestTopics,
  dropSchema,
} from '../test/support/stream-fixture.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
  },
});
const RECORDS = Number(values.records);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const POSTS = 1_000_000;

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

async function main(): Promise<void> {
  const base = loadConfigOrExit({ ...process.env, LOG_LEVEL: 'error' });
  const admin = createKafka(base).admin();
  await admin.connect();
  const prefix = await createTestTopics(admin, base.KAFKA_TOPIC_PARTITIONS);
  await admin.disconnect();
  const config = loadConfigOrExit({ ...process.env, LOG_LEVEL: 'error', KAFKA_TOPIC_PREFIX: prefix });
  const taskQueue = freshName('bench-stream');
  const clients = await openPipelineClients(config);
  if (!(await readSeedInfo(clients.pool))) {
    await clients.close();
    throw new Error('the source data set is empty: the emulator needs it (npm run seed)');
  }
  const schema = await createSpeedSchema(clients.pool);
  const producer = clients.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = await connectTemporal(config);
  const worker = await createPipelineWorker(config, clients, connection, taskQueue);
  const running = worker.run();
  const q = pg.escapeIdentifier(schema);
  try {
    console.log(`pre-loading ${RECORDS.toLocaleString()} records per entity into ${prefix}.*`);
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

    const inputs: StreamInput[] = ENTITIES.map((entity) => ({
      stream: freshName(`bench-${entity}`),
      entity,
      topic: entityTopic(prefix, entity),
      deadLetterTopic: deadLetterTopic(prefix),
      schema,
      maxRecordsPerPartition: config.STREAM_MAX_RECORDS_PER_PARTITION,
      maxWaitMs: config.STREAM_MAX_WAIT_MS,
      idleBackoffMs: { initial: 50, max: 500 },
      maxBatchesPerRun: config.STREAM_MAX_BATCHES_PER_RUN,
    }));
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const handles = await Promise.all(
      inputs.map((i) =>
        temporal.client.workflow.start(stream, { workflowId: i.stream, taskQueue, args: [i] }),
      ),
    );
    for (;;) {
      const statuses = await Promise.all(handles.map((h) => h.query(statusQuery)));
      if (statuses.every((s) => s.totals.read >= RECORDS)) {
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuStarted);
        const batches = statuses.reduce((n, s) => n + s.totals.batches, 0);
        console.log(
          `throughput: ${(3 * RECORDS).toLocaleString()} records in ${seconds.toFixed(1)} s = ` +
            `${Math.round((3 * RECORDS) / seconds).toLocaleString()} records/s into PostgreSQL (${batches} micro-batches)`,
        );
        // The worker runs in this process (the queries above are a small part of it); PostgreSQL's
        // own CPU is not in it.
        console.log(
          `worker CPU (user + system): ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, ` +
            `${((cpu.user + cpu.system) / (3 * RECORDS)).toFixed(1)} CPU-µs per record`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    console.log(`freshness: the emulator posting ${RATE} records/s for ${SECONDS} s through the ingest API`);
    const emulated = await emulateThroughApi(prefix);
    const phaseStart = emulated.started;
    console.log(
      `  emulator: ${emulated.summary.accepted} records acknowledged (${emulated.summary.recordsPerSecond.toFixed(0)} records/s), ` +
        `${emulated.summary.rejected} rejected, ${emulated.summary.errors} errors; API latency p50 ` +
        `${emulated.summary.latencyMs.p50} ms, p99 ${emulated.summary.latencyMs.p99} ms`,
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const lags: number[] = [];
    for (const entity of ENTITIES) {
      // event_time is the record's Kafka timestamp, set by the API's producer just before Kafka
      // acknowledges it (and so before the API answers 202): this slightly overstates ack → visible.
      const { rows } = await clients.pool.query<{ ms: number }>(
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
    await Promise.all(handles.map((h) => h.signal(stopSignal)));
    await Promise.all(handles.map((h) => h.result()));
  } finally {
    worker.shutdown();
    await running;
    await producer.disconnect();
    await deleteTestTopics(clients.kafkaAdmin, prefix);
    await dropSchema(clients.pool, schema);
    await clients.close();
    await connection.close();
    await temporal.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
