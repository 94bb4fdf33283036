// `npm run bench:batch -- --records N [--posts K] [--workers W]`: N records of each entity for one day
// into fresh Kafka topics, then BatchDay for that day on W worker processes (each with the workers of
// `npm run worker`), printing the time and records/s of each phase and of the whole, each worker's
// units and CPU time, and CPU-µs per record.
// The records are the emulator's posts (`--posts` of them, 11,153 by default, like the original data
// set) drawn at random with replacement, as the original emulator does: events repeat. Everything
// lives under fresh names (topics, S3 key root, PostgreSQL schemas) and is deleted at the end.
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Message, Producer } from 'kafkajs';
import { createGenerator, ORIGINAL_POSTS } from '../emulator/generator.ts';
import { dayBounds, workerTaskQueue, type BatchDay } from '../domain/batch-keys.ts';
import { seededRandom } from '../domain/seeded-random.ts';
import type { BatchDayReport, BatchPhase } from '../domain/batch-report.ts';
import { ENTITIES, entityTopic, type Entity } from '../domain/wire.ts';
import { createBatchHarness, type BatchHarness } from '../test/support/batch-harness.ts';
import { spawnBatchWorker } from '../test/support/batch-worker-spawn.ts';
import { cpuPerRecord, cpuSeconds, idleCpuRate } from './cpu.ts';

/** A past day (the broker refuses timestamps far ahead); the bench's topics keep their records for good. */
const DAY: BatchDay = '2021-01-15';
/** Keeps each produce request under the broker's 1 MB message.max.bytes per partition. */
const SEND_RECORDS = 1_200;
const SENDS_IN_FLIGHT = 4;

type Values = Record<Entity, string[]>;

function postValues(posts: number): Values {
  const generator = createGenerator({ seed: 1, posts });
  const values: Values = { pin: [], geo: [], user: [] };
  for (const post of generator.posts()) {
    for (const entity of ENTITIES) values[entity].push(JSON.stringify(post[entity]));
  }
  return values;
}

async function produce(h: BatchHarness, producer: Producer, records: number, values: Values): Promise<void> {
  const next = seededRandom(42);
  const { start } = dayBounds(DAY);
  const inFlight = new Set<Promise<unknown>>();
  let lastReport = Date.now();
  for (let from = 0; from < records; from += SEND_RECORDS) {
    const batch: Record<Entity, Message[]> = { pin: [], geo: [], user: [] };
    for (let i = from; i < Math.min(records, from + SEND_RECORDS); i++) {
      const ind = Math.floor(next() * values.pin.length);
      const timestamp = String(start + Math.floor((i * 86_400_000) / records));
      for (const e of ENTITIES) batch[e].push({ key: String(ind), value: values[e][ind]!, timestamp });
    }
    const topicMessages = ENTITIES.map((e) => ({
      topic: entityTopic(h.config.KAFKA_TOPIC_PREFIX, e),
      messages: batch[e],
    }));
    const send = producer.sendBatch({ topicMessages, acks: -1 }).finally(() => inFlight.delete(send));
    inFlight.add(send);
    if (inFlight.size >= SENDS_IN_FLIGHT) await Promise.race(inFlight);
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      console.log(`  produced ${from.toLocaleString('en')} of ${records.toLocaleString('en')} per entity`);
    }
  }
  await Promise.all(inFlight);
}

function table(report: BatchDayReport, wallMs: number): string {
  const e = report.entities;
  const sum = (fn: (entity: Entity) => number) => ENTITIES.reduce((n, x) => n + fn(x), 0);
  const exported = sum((x) => e[x].exported.records);
  const rows: [BatchPhase | 'workflow (client)', number, number][] = [
    ['export', report.phasesMs.export, exported],
    ['download', report.phasesMs.download, exported],
    ['clean', report.phasesMs.clean, sum((x) => e[x].cleaned.in)],
    ['load', report.phasesMs.load, sum((x) => e[x].cleaned.out)],
    ['views', report.phasesMs.views, report.totals.loadedRows],
    ['total', report.phasesMs.total, exported],
    ['workflow (client)', wallMs, exported],
  ];
  const line = ([phase, ms, records]: (typeof rows)[number]) =>
    `${phase.padEnd(18)}${(ms / 1000).toFixed(2).padStart(9)} s${records.toLocaleString('en').padStart(14)}` +
    `${Math.round(records / (ms / 1000))
      .toLocaleString('en')
      .padStart(14)} records/s`;
  return [
    `${'phase'.padEnd(18)}${'time'.padStart(11)}${'records'.padStart(14)}${'rate'.padStart(24)}`,
    ...rows.map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { values: opts } = parseArgs({
    options: {
      records: { type: 'string', default: '100000' },
      posts: { type: 'string', default: String(ORIGINAL_POSTS) },
      workers: { type: 'string', default: '1' },
    },
  });
  const records = Number(opts.records);
  const posts = Number(opts.posts);
  const workers = Number(opts.workers);
  if (![records, posts, workers].every((n) => Number.isInteger(n) && n >= 1)) {
    console.error('usage: npm run bench:batch -- --records N [--posts K] [--workers W]');
    process.exit(2);
  }
  console.log(
    `bench:batch: ${records.toLocaleString('en')} records per entity, ${posts.toLocaleString('en')} posts, day ${DAY}, ` +
      `${workers} worker process(es), ${cpus().length} CPUs, BATCH_THREADS ${threadsPerWorker(workers)} each`,
  );
  const h = await createBatchHarness();
  const children: ChildProcess[] = [];
  try {
    let t = Date.now();
    const values = postValues(posts);
    console.log(`generated ${posts.toLocaleString('en')} posts in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const producer = h.clients.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t = Date.now();
    await produce(h, producer, records, values).finally(() => producer.disconnect());
    const produceS = (Date.now() - t) / 1000;
    console.log(
      `produced ${(3 * records).toLocaleString('en')} records in ${produceS.toFixed(1)} s (not part of the figures below)`,
    );

    // Worker processes of their own, as a deployment's: the partitions' exports and the entities' work
    // spread over them, and each one's peak memory is its own (the bench's producer is not in it).
    for (let i = 0; i < workers; i++) children.push(await startWorkerProcess(h, i, workers));
    const idle = await idleCpuRate(children.map((c) => c.pid));
    const cpuBefore = await Promise.all(children.map((c) => cpuSeconds(c.pid)));
    t = Date.now();
    const report = await h.runDay(DAY);
    const wallMs = Date.now() - t;
    const cpuAfter = await Promise.all(children.map((c) => cpuSeconds(c.pid)));
    console.log(table(report, wallMs));
    const e = report.entities;
    console.log(
      `rejected ${report.totals.rejected}, loaded rows ${ENTITIES.map((x) => `${x} ${e[x].loadedRows}`).join(', ')}; ` +
        `raw objects ${ENTITIES.reduce((n, x) => n + e[x].exported.partitions.reduce((m, p) => m + p.objects.length, 0), 0)}, ` +
        `raw gzip ${(ENTITIES.reduce((n, x) => n + e[x].exported.partitions.reduce((m, p) => m + p.objects.reduce((k, o) => k + o.bytes, 0), 0), 0) / 1e6).toFixed(1)} MB`,
    );
    const peaks = await Promise.all(children.map((c) => peakRssMb(c.pid)));
    console.log(
      `worker peak RSS: ${peaks.map((mb) => (mb === undefined ? '?' : `${mb.toFixed(0)} MB`)).join(', ')} ` +
        `(${posts.toLocaleString('en')} distinct posts; the latest event per post is chosen in sorted runs on disk)`,
    );
    console.log(unitsLine(report, children.length, h.name));
    console.log(cpuLine(cpuBefore, cpuAfter, 3 * records, idle, wallMs / 1000));
    const target = wallMs < 60_000 ? 'under' : 'over';
    console.log(
      `whole day: ${(wallMs / 1000).toFixed(1)} s for ${records.toLocaleString('en')} records per entity (${target} the 60 s target)`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    await h.close();
  }
}

/** Each worker's units of the day (an entity's partition each) and the records they cleaned. */
function unitsLine(report: BatchDayReport, workers: number, name: string): string {
  const units = report.units ?? [];
  const total = units.reduce((n, u) => n + u.in, 0);
  const shares = Array.from({ length: workers }, (_, i) => {
    const mine = units.filter((u) => u.worker === workerTaskQueue(name, `bench-${i}`));
    const records = mine.reduce((n, u) => n + u.in, 0);
    return `w${i} ${mine.length} units, ${records.toLocaleString('en')} records (${total ? ((100 * records) / total).toFixed(0) : 0}%)`;
  });
  return `units (download + clean): ${shares.join(', ')}`;
}

/** Each worker's CPU time over the day and its share, and CPU-µs per record of the day. */
function cpuLine(
  before: (number | undefined)[],
  after: (number | undefined)[],
  records: number,
  idlePerS: number,
  wallS: number,
): string {
  const used = after.map((a, i) => (a === undefined || before[i] === undefined ? 0 : a - before[i]!));
  const total = used.reduce((n, x) => n + x, 0);
  const shares = used.map(
    (x, i) => `w${i} ${x.toFixed(1)} s (${total ? ((100 * x) / total).toFixed(0) : 0}%)`,
  );
  return (
    `worker CPU (user + system): ${shares.join(', ')}; ` +
    `${cpuPerRecord(total, idlePerS, wallS, records)} (records of the day)`
  );
}

/** The process's peak resident memory (VmHWM, threads included), in MB. */
async function peakRssMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/**
 * BATCH_THREADS of each worker: as set, or the machine's cores shared among the workers. The default
 * (one thread per core) is for one worker per machine; W workers on one machine would each start a
 * thread per core, and the bench would measure the cores oversubscribed W times, not W workers.
 */
function threadsPerWorker(workers: number): string {
  return process.env.BATCH_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / workers)));
}

/** `test/support/batch-worker-process.ts`: the same workers as `npm run worker`, in a process of its own. */
function startWorkerProcess(h: BatchHarness, i: number, workers: number): Promise<ChildProcess> {
  const env = {
    ...h.env,
    BATCH_WORK_DIR: path.join(tmpdir(), `${h.name}-worker-${i}`),
    BATCH_THREADS: threadsPerWorker(workers),
  };
  return spawnBatchWorker(env, h.name, workerTaskQueue(h.name, `bench-${i}`));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
