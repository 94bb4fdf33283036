// The speed layer's micro-batch: read from the stored offsets, clean, upsert, dead-letter, and store
// the new offsets in the same PostgreSQL transaction. Exactly once into PostgreSQL whichever worker
// runs it and however often it is retried: the transaction commits only if the checkpoint still
// holds the offsets this batch read from.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import { cleanRecord } from '../domain/entities.ts';
import type { Entity } from '../domain/wire.ts';
import { storableText } from '../domain/storable-text.ts';
import { FAILURES } from '../domain/failures.ts';
import { ownsPartition, type StreamShard } from '../domain/stream-wire.ts';
import { isSqlIdentifier, SQL_IDENTIFIER_RULE } from '../domain/sql-identifier.ts';
import { applyIsolating, withTransaction, type Pool } from '../infra/db.ts';
import { describeDataError } from '../infra/outages.ts';
import { against } from './errors.ts';
import type { ReadMessage, StreamReader } from './stream-reader.ts';
import {
  advanceCheckpoints,
  ensureCheckpoints,
  insertDeadLetters,
  latestPerInd,
  readCheckpoints,
  upsertRows,
  type CheckpointUpdate,
  type DeadLetter,
  type StreamRow,
  type StreamTotals,
} from './stream-sql.ts';

export interface MicroBatchInput {
  stream: string;
  entity: Entity;
  topic: string;
  deadLetterTopic: string;
  /** PostgreSQL schema holding the entity tables, stream_offsets and dead_letters. */
  schema: string;
  maxRecordsPerPartition: number;
  /** How long one micro-batch waits for a first record before it counts as idle. */
  maxWaitMs: number;
  /** The shard of the stream this batch is for: it reads and commits only the shard's partitions. */
  shard?: StreamShard;
}

export interface PartitionState {
  partition: number;
  /** Decimal strings: offsets are 64-bit. */
  nextOffset: string;
  highWatermark: string;
  lag: number;
}

export interface MicroBatchResult {
  read: number;
  /** The stream's committed counts after this batch (exact even when an earlier result was lost). */
  totals: StreamTotals;
  /** Offsets Kafka deleted (retention) before the stream read them: lost data, logged loudly. */
  skippedByRetention: number;
  upserted: number;
  deadLettered: number;
  partitions: PartitionState[];
  /** Kafka timestamp (ms) of the newest record of the batch, null when it read nothing. */
  newestRecordTime: number | null;
  /** Commit time minus the oldest record's Kafka timestamp: the batch's worst freshness. */
  maxFreshnessMs: number | null;
  durationMs: number;
  /**
   * The task queue of the worker process that ran the batch, when that process also polls it: the
   * stream sends its next batch there, so the partitions stay fetched by one worker (stream-reader.ts).
   */
  workerQueue?: string;
}

interface Deps {
  pool: Pool;
  admin: Admin;
  reader: StreamReader;
  producer: Producer;
  /** This process's own task queue, when a worker of this process polls it with these activities. */
  localQueue?: string;
}

export function createStreamActivities(deps: Deps) {
  const running = new Map<string, Promise<unknown>>();
  return {
    async runMicroBatch(input: MicroBatchInput): Promise<MicroBatchResult> {
      if (!isSqlIdentifier(input.schema)) {
        throw ApplicationFailure.nonRetryable(
          `invalid schema name ${input.schema}: not ${SQL_IDENTIFIER_RULE}`,
          FAILURES.StreamInputInvalid,
        );
      }
      // One micro-batch of a stream at a time in this process (a timed-out attempt may still run).
      const key = `${input.stream}/${input.shard?.index ?? 0}`;
      const prior = running.get(key) ?? Promise.resolve();
      const current = prior.catch(() => undefined).then(() => microBatch(deps, input));
      running.set(key, current);
      try {
        return await current;
      } finally {
        if (running.get(key) === current) running.delete(key);
      }
    },
  };
}

async function microBatch(deps: Deps, input: MicroBatchInput): Promise<MicroBatchResult> {
  const ctx = Context.current();
  // Heartbeats on a timer, not per stage: an idle read may wait up to STREAM_MAX_WAIT_MS, longer than
  // the heartbeat timeout (the SDK sends at most one per 80% of it).
  let stage = 'start';
  const beat = setInterval(() => ctx.heartbeat({ stage }), 1_000);
  try {
    return await microBatchSteps(deps, input, (s) => (stage = s));
  } finally {
    clearInterval(beat);
  }
}

async function microBatchSteps(
  deps: Deps,
  input: MicroBatchInput,
  setStage: (stage: string) => void,
): Promise<MicroBatchResult> {
  const started = Date.now();
  const { pool, admin, reader } = deps;
  const { stream, topic, schema } = input;
  const ctx = Context.current();

  const all = await against('kafka', () => admin.fetchTopicOffsets(topic));
  const watermarks = all.filter((w) => ownsPartition(input.shard, w.partition));
  const owned = watermarks.map((w) => w.partition);
  const from = await against('postgres', async () => {
    const starts = watermarks.map((w) => ({ partition: w.partition, nextOffset: BigInt(w.low) }));
    await ensureCheckpoints(pool, schema, stream, topic, starts);
    return readCheckpoints(pool, schema, stream, topic, owned);
  });
  const skipped = await against('postgres', () => skipExpired(pool, input, from, watermarks));
  setStage('read');
  const high = new Map(watermarks.map((w) => [w.partition, BigInt(w.high)]));
  const { messages, next } = await reader.read({
    topic,
    from,
    high,
    maxPerPartition: input.maxRecordsPerPartition,
    maxWaitMs: input.maxWaitMs,
    signal: ctx.cancellationSignal,
  });
  setStage('clean');
  const { rows, dead } = cleanAll(input.entity, messages);
  setStage('commit');
  const { upserted, totals, deadLetters } = await against('postgres', () =>
    commit(deps, input, { from, next, messages, rows, dead }),
  );

  const committed = Date.now();
  const partitions = [...next].map(([partition, nextOffset]) => {
    const highWatermark = maxBig(high.get(partition) ?? nextOffset, nextOffset);
    return {
      partition,
      nextOffset: nextOffset.toString(),
      highWatermark: highWatermark.toString(),
      lag: Number(highWatermark - nextOffset),
    };
  });
  const times = messages.map((m) => m.timestamp);
  return {
    read: messages.length,
    skippedByRetention: skipped,
    upserted,
    totals,
    deadLettered: deadLetters,
    partitions,
    newestRecordTime: times.length ? Math.max(...times) : null,
    maxFreshnessMs: times.length ? committed - Math.min(...times) : null,
    durationMs: committed - started,
    ...(deps.localQueue === undefined ? {} : { workerQueue: deps.localQueue }),
  };
}

interface BatchContent {
  from: Map<number, bigint>;
  /** Per partition, the offset after what the batch read (gaps included). */
  next: Map<number, bigint>;
  messages: ReadMessage[];
  rows: StreamRow[];
  dead: DeadLetter[];
}

/**
 * The one transaction: only if the checkpoint still holds `from`, apply the rows, dead-letter what
 * cleaning or PostgreSQL refused, and move the checkpoint on. A row PostgreSQL refuses for its data
 * (SQLSTATE 22, 23) is set apart (applyIsolating) and dead-lettered: one bad record never blocks the
 * partition behind it. Dead letters reach Kafka before the commit: at least once.
 */
function commit(
  deps: Deps,
  input: MicroBatchInput,
  batch: BatchContent,
): Promise<{ upserted: number; totals: StreamTotals; deadLetters: number }> {
  const { stream, topic, schema } = input;
  return withTransaction(deps.pool, async (client) => {
    const partitions = [...batch.from.keys()];
    const locked = await readCheckpoints(client, schema, stream, topic, partitions, true);
    for (const [partition, offset] of batch.from) {
      if (locked.get(partition) !== offset) {
        throw ApplicationFailure.retryable(
          `checkpoint of ${topic}/${partition} moved from ${offset} to ${locked.get(partition)} (another attempt committed); re-reading`,
          FAILURES.StreamCheckpointMoved,
        );
      }
    }
    const { applied, refused } = await applyIsolating(client, latestPerInd(batch.rows), (rows) =>
      upsertRows(client, schema, input.entity, rows),
    );
    const dead = [
      ...batch.dead,
      ...refused.map(({ item, error }) => ({
        partition: item.partition,
        offset: item.offset,
        reason: describeDataError(error),
        raw: item.raw,
        timestamp: item.time,
      })),
    ];
    if (dead.length > 0) {
      await against('kafka', () => sendDeadLetters(deps.producer, input, dead));
      await insertDeadLetters(client, schema, stream, topic, dead);
    }
    const taken = countPerPartition(batch.messages);
    const deadPer = countPerPartition(dead);
    const updates: CheckpointUpdate[] = [...batch.next].map(([partition, nextOffset]) => ({
      partition,
      nextOffset,
      applied: taken.get(partition) ?? 0,
      dead: deadPer.get(partition) ?? 0,
      highWatermark: nextOffset,
    }));
    const totals = await advanceCheckpoints(client, schema, stream, topic, updates, partitions);
    return { upserted: applied, totals, deadLetters: dead.length };
  });
}

/** Moves checkpoints below the partition's first offset up to it; returns how many offsets it skipped. */
async function skipExpired(
  pool: Pool,
  input: MicroBatchInput,
  from: Map<number, bigint>,
  watermarks: { partition: number; low: string }[],
): Promise<number> {
  let skipped = 0;
  for (const w of watermarks) {
    const at = from.get(w.partition);
    const low = BigInt(w.low);
    if (at === undefined || at >= low) continue;
    await withTransaction(pool, async (client) => {
      await client.query(
        `UPDATE ${pg.escapeIdentifier(input.schema)}.stream_offsets SET next_offset = $4, updated_at = now()
         WHERE stream = $1 AND topic = $2 AND partition = $3 AND next_offset = $5`,
        [input.stream, input.topic, w.partition, low.toString(), at.toString()],
      );
    });
    Context.current().log.warn('records expired before the stream read them', {
      topic: input.topic,
      partition: w.partition,
      from: at.toString(),
      to: low.toString(),
    });
    skipped += Number(low - at);
    from.set(w.partition, low);
  }
  return skipped;
}

function cleanAll(entity: Entity, messages: ReadMessage[]): { rows: StreamRow[]; dead: DeadLetter[] } {
  const rows: StreamRow[] = [];
  const dead: DeadLetter[] = [];
  for (const m of messages) {
    const raw = m.value ?? EMPTY;
    const parsed = parseJson(raw.toString('utf8'));
    const result = parsed.ok
      ? cleanRecord(entity, parsed.value)
      : { ok: false as const, reason: parsed.reason };
    const position = { partition: m.partition, offset: m.offset, time: m.timestamp };
    if (result.ok) rows.push({ ...position, record: result.record, raw });
    else
      dead.push({
        partition: m.partition,
        offset: m.offset,
        reason: result.reason,
        raw,
        timestamp: m.timestamp,
      });
  }
  return { rows, dead };
}

const EMPTY = Buffer.alloc(0);

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false, reason: 'value: not valid JSON' };
  }
}

/**
 * A dead letter's value, cut to what any topic with Kafka's default limits takes (1 MiB a message):
 * a record too large for the dead-letter topic must not stop the stream. PostgreSQL keeps it whole.
 */
const MAX_DEAD_LETTER_VALUE = 900 * 1024;

/** At least once: a retried batch may send a dead letter twice; its key names the source record. */
async function sendDeadLetters(producer: Producer, input: MicroBatchInput, dead: DeadLetter[]) {
  await producer.send({
    topic: input.deadLetterTopic,
    acks: -1,
    messages: dead.map((d) => ({
      key: `${input.topic}/${d.partition}/${d.offset}`,
      value: d.raw.length > MAX_DEAD_LETTER_VALUE ? d.raw.subarray(0, MAX_DEAD_LETTER_VALUE) : d.raw,
      headers: {
        reason: storableText(d.reason),
        'source-topic': input.topic,
        'source-partition': String(d.partition),
        'source-offset': d.offset.toString(),
        'source-timestamp': String(d.timestamp),
        stream: input.stream,
        ...(d.raw.length > MAX_DEAD_LETTER_VALUE ? { 'truncated-from-bytes': String(d.raw.length) } : {}),
      },
    })),
  });
}

function countPerPartition(items: { partition: number }[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of items) counts.set(m.partition, (counts.get(m.partition) ?? 0) + 1);
  return counts;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export type StreamActivities = ReturnType<typeof createStreamActivities>;
