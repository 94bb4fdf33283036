// `npm run capacity [-- --events-per-second N] [--events-per-day N]`: the capacity model of
// docs/scaling.md, computed from the per-record costs the benchmarks measure. When the code changes,
// run the benches, put their figures in MEASURED below (each names the command and the line it
// prints), and run this again: the table in docs/scaling.md is its output.
import { parseArgs } from 'node:util';

/** Measured on the 2-core development machine (docs/scaling.md says when and how). */
const MEASURED = {
  /**
   * Ingest API, CPU-µs per record on the batch endpoint: 2 cores over the median records/s of
   * `npm run bench:ingest -- --processes 2` (36,600-45,900 records/s). An upper bound: the load
   * generator and the Kafka broker ran on the same two cores.
   */
  ingestCpuUsPerRecord: (2 * 1e6) / 45_900,
  /** Batch day (export, download, clean, load, views), worker CPU-µs per record of the day: `bench:batch -- --records 500000 --workers 1`, "worker CPU" line (2 workers: 22.7; 3 workers on the 2 cores: 28.9). */
  batchCpuUsPerRecord: 24.2,
  /** Speed layer, worker CPU-µs per record (read, clean, upsert): `bench:stream -- --records 100000 --workers 1 --shards 1`, "worker CPU" line (3 shards: 26.4; 3 workers and 3 shards on the 2 cores: 39.2). */
  streamCpuUsPerRecord: 23.3,
  /** Records one micro-batch commits at full load (300,000 records in 24 batches of 3 streams). */
  recordsPerMicroBatch: 300_000 / 24,
  /** Bytes of a raw record on the wire, the mean of pin, geo and user (generator's data). */
  bytesPerRecord: 430,
  /** Raw records per S3 object (BATCH_OBJECT_RECORDS). */
  recordsPerObject: 250_000,
};

/** Planning assumptions, not measurements: what each is and why, in docs/scaling.md. */
const ASSUMED = {
  /** Cores a worker or API process keeps busy at most, leaving headroom for bursts and GC. */
  coreUtilisation: 0.6,
  /** Cores per machine of the cluster. */
  coresPerMachine: 16,
  /** Records/s one Kafka partition carries comfortably for one consumer (about 4 MB/s at 430 B). */
  recordsPerPartitionPerSecond: 10_000,
  /** Row upserts/s one PostgreSQL primary sustains for these tables (batched, 3 indexes). */
  upsertsPerPostgresNode: 60_000,
  /** Temporal history events per micro-batch: scheduled, started, completed, task events, a timer. */
  historyEventsPerBatch: 6,
  /** Peak over mean of a day's traffic. */
  peakFactor: 3,
  /** Hours a batch day may take, leaving the rest of the day for a re-run. */
  batchWindowHours: 2,
};

interface Row {
  stage: string;
  bound: string;
  need: string;
  next: string;
}

function plan(eventsPerSecond: number, eventsPerDay: number): Row[] {
  const cores = (cpuUs: number) => (eventsPerSecond * cpuUs) / 1e6 / ASSUMED.coreUtilisation;
  const machines = (c: number) => Math.ceil(c / ASSUMED.coresPerMachine);
  const ingestCores = cores(MEASURED.ingestCpuUsPerRecord);
  const streamCores = cores(MEASURED.streamCpuUsPerRecord);
  // The three entity topics share the events (pins carry most of the bytes; counted evenly here).
  const partitions = Math.ceil(eventsPerSecond / 3 / ASSUMED.recordsPerPartitionPerSecond);
  const shards = Math.ceil(partitions / 4);
  const batchesPerSecond = eventsPerSecond / MEASURED.recordsPerMicroBatch;
  const pgNodes = Math.ceil(eventsPerSecond / ASSUMED.upsertsPerPostgresNode);
  const day = eventsPerDay;
  const batchCoreHours = (day * MEASURED.batchCpuUsPerRecord) / 1e6 / 3_600;
  const oneMachine = batchCoreHours / (ASSUMED.coresPerMachine * ASSUMED.coreUtilisation);
  // A day's units: one per partition of each entity topic, spread over the workers.
  const units = partitions * 3;
  const batchMachines = Math.ceil(oneMachine / ASSUMED.batchWindowHours);
  const objects = Math.ceil(day / MEASURED.recordsPerObject) * 3;
  const mbps = (eventsPerSecond * MEASURED.bytesPerRecord) / 1e6;
  const f = (n: number) => Math.round(n).toLocaleString('en');
  return [
    {
      stage: 'ingest API',
      bound: `CPU: ${MEASURED.ingestCpuUsPerRecord.toFixed(0)} µs/record`,
      need: `${f(ingestCores)} cores: API_PROCESSES=${ASSUMED.coresPerMachine} on ${machines(ingestCores)} machines behind a load balancer`,
      next: 'Kafka produce latency per request: larger client batches (/v1/events)',
    },
    {
      stage: 'Kafka',
      bound: `${f(mbps)} MB/s in, partitions per consumer`,
      need: `${f(partitions)} partitions per entity topic (${f(ASSUMED.recordsPerPartitionPerSecond)} records/s each), replication 3`,
      next: 'broker disk and network: more brokers; partitions are added without a stop',
    },
    {
      stage: 'speed layer',
      bound: `CPU ${MEASURED.streamCpuUsPerRecord} µs/record, then PostgreSQL`,
      need: `${f(streamCores)} worker cores (${machines(streamCores)} machines); STREAM_SHARDS ${f(shards)} per topic`,
      next: 'PostgreSQL write rate (below)',
    },
    {
      stage: 'PostgreSQL (speed upserts)',
      bound: `${f(ASSUMED.upsertsPerPostgresNode)} upserts/s per primary`,
      need: `${f(pgNodes)} primaries: tables partitioned by hash(ind) over a distributed PostgreSQL (Citus)`,
      next: 'one shard writes one partition set: shards map onto PostgreSQL nodes',
    },
    {
      stage: 'Temporal',
      bound: `${ASSUMED.historyEventsPerBatch} events per micro-batch`,
      need: `${f(batchesPerSecond)} micro-batches/s, ${f(batchesPerSecond * ASSUMED.historyEventsPerBatch)} history events/s; histories continue as new every 500 batches (~3,000 events)`,
      next: 'per-workflow event rate: more shards; per-namespace rate: Temporal Cloud or more history shards',
    },
    {
      stage: 'batch day',
      bound: `CPU ${MEASURED.batchCpuUsPerRecord} µs/record of the day`,
      need: `${f(day / 1e9)} B records/day: ${f(batchCoreHours)} core-hours; ${batchMachines} ${ASSUMED.coresPerMachine}-core worker machines finish it in ${ASSUMED.batchWindowHours} h (${oneMachine.toFixed(1)} h on one), over its ${f(units)} units (${partitions} partitions × 3 entities; a unit cleans 3 files at once, so at most ${f(units * 3)} cores at a time${batchMachines * ASSUMED.coresPerMachine * ASSUMED.coreUtilisation > units * 3 ? ': too few, cut units by groups of raw objects or add partitions' : ''})`,
      next: 'the load: one activity per entity merges its units, one node process and one PostgreSQL backend each (cost grows with distinct posts, not events); past ~100 M posts a day, split it by ranges of ind and COPY into day-partitioned tables',
    },
    {
      stage: 'S3',
      bound: 'requests, not bytes',
      need: `${f(objects)} raw, cleaned and latest objects a day (${(objects / 86_400).toFixed(1)} PUT/s on average)`,
      next: 'none in sight: S3 takes 3,500 PUT/s per prefix',
    },
  ];
}

function print(title: string, eventsPerSecond: number, eventsPerDay: number): void {
  console.log(`\n### ${title}: ${Math.round(eventsPerSecond).toLocaleString('en')} events/s\n`);
  console.log('| stage | bound by | needs | next bottleneck, and what to do |');
  console.log('|---|---|---|---|');
  for (const r of plan(eventsPerSecond, eventsPerDay))
    console.log(`| ${r.stage} | ${r.bound} | ${r.need} | ${r.next} |`);
}

const { values } = parseArgs({
  options: {
    'events-per-second': { type: 'string', default: '1000000' },
    'events-per-day': { type: 'string', default: '10000000000' },
  },
});
const perSecond = Number(values['events-per-second']);
const perDay = Number(values['events-per-day']);
if (!(perSecond > 0 && perDay > 0)) {
  console.error('usage: npm run capacity -- [--events-per-second N] [--events-per-day N]');
  process.exit(2);
}
console.log(
  'Measured per-record costs:',
  JSON.stringify(MEASURED, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v)),
);
print('Sustained', perSecond, perSecond * 86_400);
print(
  `${(perDay / 1e9).toLocaleString('en')} B events/day, sized for a peak ${ASSUMED.peakFactor}× the mean`,
  (perDay / 86_400) * ASSUMED.peakFactor,
  perDay,
);
