// `npm run bench:ingest`: throughput and latency of the ingest API on the local stack, measured with
// autocannon, next to the raw kafkajs producer rate of the same machine (the ceiling). The API runs
// as a child process (api/server.ts, as in production) on a free port and writes to fresh topics
// (`bench-<id>.*`, deleted at the end): the pipeline's real topics are not touched.
// Options: --duration <s> (default 10), --connections <n> (default 100), --batch-connections <n>,
// --processes <n> (default 1): the API's API_PROCESSES (node:cluster, one machine's cores).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { loadConfigOrExit, type Config } from '../infra/config.ts';
import { freePort } from '../test/support/net.ts';
import { createKafka } from '../infra/kafka.ts';
import { ensureTopics } from '../infra/provision.ts';
import { ENTITY } from '../domain/entities.ts';
import { ENTITIES, entityTopic, type Entity } from '../domain/wire.ts';

const ROOT = join(import.meta.dirname, '..');
const BATCH_RECORDS = 1_000;
const RAW_SEND_RECORDS = 5_000;

interface Row {
  entity: Entity;
  data: Record<string, unknown>;
}

interface Measure {
  scenario: string;
  requestsPerSec: number;
  recordsPerSec: number;
  p50?: number;
  p99?: number;
  non2xx?: number;
  errors?: number;
  perSend?: number;
}

function sampleRows(): Row[] {
  const byEntity = ENTITIES.map((entity) =>
    readFileSync(join(ROOT, 'test', 'fixtures', 'real-sample', `${entity}.jsonl`), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => ({ entity, data: JSON.parse(line) as Record<string, unknown> })),
  );
  // Interleaved pin, geo, user of the same post, as the emulator sends them.
  return byEntity[0]!.flatMap((_, i) =>
    byEntity.map((rows) => rows[i]).filter((r): r is Row => r !== undefined),
  );
}

async function startApi(
  config: Config,
  prefix: string,
  processes: number,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'api', 'server.ts')], {
    env: {
      ...process.env,
      API_PORT: String(port),
      API_PROCESSES: String(processes),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: config.LOG_LEVEL,
    },
    // Request logs are written (pino, as in production) but not kept.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { url, child };
    if (child.exitCode !== null) break;
    await sleep(200);
  }
  child.kill('SIGKILL');
  throw new Error('the API did not become ready');
}

async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Average records per Kafka send since the last call, from the API's own metrics. */
function perSendMeter(url: string) {
  let last = { sum: 0, count: 0 };
  const read = async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return {
      sum: value('ingest_produce_batch_records_sum'),
      count: value('ingest_produce_batch_records_count'),
    };
  };
  return async () => {
    const now = await read();
    const perSend = (now.sum - last.sum) / Math.max(1, now.count - last.count);
    last = now;
    return perSend;
  };
}

async function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ timeout: 10, ...opts });
}

async function singleRecords(
  url: string,
  apiKey: string | undefined,
  rows: Row[],
  duration: number,
  connections: number,
): Promise<autocannon.Result> {
  const headers = { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) };
  return cannon({
    url,
    connections,
    duration,
    requests: rows
      .slice(0, 60)
      .map((r) => ({ method: 'POST', path: `/v1/${r.entity}`, headers, body: JSON.stringify(r.data) })),
  });
}

async function batches(
  url: string,
  apiKey: string | undefined,
  rows: Row[],
  duration: number,
  connections: number,
): Promise<autocannon.Result> {
  const headers = { 'content-type': 'application/json', ...(apiKey ? { 'x-api-key': apiKey } : {}) };
  const bodies = [0, 1, 2].map((k) =>
    JSON.stringify({
      records: Array.from({ length: BATCH_RECORDS }, (_, i) => rows[(k * 331 + i) % rows.length]!),
    }),
  );
  return cannon({
    url,
    connections,
    duration,
    requests: bodies.map((body) => ({ method: 'POST', path: '/v1/events', headers, body })),
  });
}

/** The ceiling: kafkajs alone, the API's producer settings, large arrays awaited one after another. */
async function rawProducer(kafka: Kafka, prefix: string, rows: Row[], seconds: number): Promise<Measure> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const topicMessages = ENTITIES.map((entity) => ({
    topic: entityTopic(prefix, entity),
    messages: [] as Message[],
  }));
  for (let i = 0; i < RAW_SEND_RECORDS; i++) {
    const row = rows[i % rows.length]!;
    const value = JSON.stringify(row.data);
    topicMessages[ENTITIES.indexOf(row.entity)]!.messages.push({
      key: String(ENTITY[row.entity].keyOf(row.data)),
      value,
    });
  }
  let sent = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < seconds * 1000) {
      await producer.sendBatch({ acks: -1, topicMessages });
      sent += RAW_SEND_RECORDS;
    }
  } finally {
    await producer.disconnect();
  }
  const rate = sent / ((performance.now() - started) / 1000);
  return {
    scenario: `raw kafkajs sendBatch (${RAW_SEND_RECORDS}/send)`,
    requestsPerSec: 0,
    recordsPerSec: rate,
    perSend: RAW_SEND_RECORDS,
  };
}

function toMeasure(
  scenario: string,
  result: autocannon.Result,
  recordsPerRequest: number,
  perSend: number,
): Measure {
  const ok = result['2xx'];
  return {
    scenario,
    requestsPerSec: ok / result.duration,
    recordsPerSec: (ok * recordsPerRequest) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    perSend,
  };
}

function printTable(measures: Measure[]): void {
  const num = (n: number | undefined, digits = 0) =>
    n === undefined
      ? '-'
      : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rows = [
    ['scenario', '2xx req/s', 'records/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'records/send'],
    ...measures.map((m) => [
      m.scenario,
      m.requestsPerSec ? num(m.requestsPerSec) : '-',
      num(m.recordsPerSec),
      num(m.p50, 1),
      num(m.p99, 1),
      num(m.non2xx),
      num(m.errors),
      num(m.perSend, 1),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  console.log(line(rows[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '100' },
      'batch-connections': { type: 'string', default: '10' },
      processes: { type: 'string', default: '1' },
    },
  });
  const processes = Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1 || processes > 64) {
    console.error(`--processes: expected an integer from 1 to 64, got "${values.processes}"`);
    process.exit(1);
  }
  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const batchConnections = Number(values['batch-connections']);
  const config = loadConfigOrExit();
  const prefix = `bench-${Date.now().toString(36)}`;
  const topics = ENTITIES.map((e) => entityTopic(prefix, e));
  const kafka = createKafka(config);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topics, {
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
  });
  const rows = sampleRows();
  const load = loadavg()[0]!.toFixed(2);
  const { url, child } = await startApi(config, prefix, processes);
  const perSend = perSendMeter(url);
  try {
    console.log(
      `ingest bench: API ${url} (${processes} process${processes === 1 ? '' : 'es'}) → Kafka ${config.KAFKA_BROKERS.join(',')} topics ${prefix}.*, ${duration} s per run`,
    );
    await singleRecords(url, config.API_KEY, rows, 3, connections); // warm-up (JIT, connections)
    await perSend();
    const single = await singleRecords(url, config.API_KEY, rows, duration, connections);
    const singleMeasure = toMeasure(
      `POST /v1/<entity>, 1 record, ${connections} conns`,
      single,
      1,
      await perSend(),
    );
    const batch = await batches(url, config.API_KEY, rows, duration, batchConnections);
    const batchMeasure = toMeasure(
      `POST /v1/events, ${BATCH_RECORDS} records, ${batchConnections} conns`,
      batch,
      BATCH_RECORDS,
      await perSend(),
    );
    const raw = await rawProducer(kafka, prefix, rows, duration);
    console.log('');
    printTable([singleMeasure, batchMeasure, raw]);
    console.log(
      `\n${cpus().length} CPUs; load average (1 min) ${load} before, ${loadavg()[0]!.toFixed(2)} after`,
    );
  } finally {
    await stopApi(child);
    await admin.deleteTopics({ topics });
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
