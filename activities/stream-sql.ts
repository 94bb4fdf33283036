// SQL of the micro-batch transaction. Rows travel as one jsonb parameter (jsonb_to_recordset), so
// every statement is parameterised whatever the batch size; identifiers are quoted by pg.
import pg from 'pg';
import { CLEAN_COLUMNS, type CleanRecord } from '../domain/clean.ts';
import { CLEAN_SQL_TYPES } from '../domain/clean-sql.ts';
import type { Entity } from '../domain/wire.ts';
import type { PoolClient } from '../infra/db.ts';

const q = pg.escapeIdentifier;

export interface StreamRow<E extends Entity = Entity> {
  record: CleanRecord<E>;
  eventTime: number;
  partition: number;
  offset: bigint;
}

export interface DeadLetter {
  partition: number;
  offset: bigint;
  reason: string;
  raw: string;
  timestamp: number;
}

export interface Checkpoint {
  partition: number;
  nextOffset: bigint;
}

/** Latest event per post: a batch may hold several events of one `ind`; the upsert takes one. */
export function latestPerInd<E extends Entity>(rows: StreamRow<E>[]): StreamRow<E>[] {
  const byInd = new Map<number, StreamRow<E>>();
  for (const row of rows) {
    const prior = byInd.get(row.record.ind);
    if (!prior || isNewer(row, prior)) byInd.set(row.record.ind, row);
  }
  return [...byInd.values()];
}

function isNewer(a: StreamRow, b: StreamRow): boolean {
  if (a.partition === b.partition) return a.offset > b.offset;
  return a.eventTime >= b.eventTime;
}

/**
 * Inserts or overwrites rows by `ind`. The WHERE keeps the newest event: within a partition by
 * offset (Kafka's own order), across partitions (after a repartition) by event time.
 */
export async function upsertRows(client: PoolClient, schema: string, entity: Entity, rows: StreamRow[]) {
  if (rows.length === 0) return 0;
  const columns = CLEAN_COLUMNS[entity] as readonly string[];
  const types = CLEAN_SQL_TYPES[entity] as Record<string, string>;
  const table = `${q(schema)}.${q(entity)}`;
  const all = [...columns, 'event_time', 'source_partition', 'source_offset'];
  const recordset = [
    ...columns.map((c) => `${q(c)} ${types[c]}`),
    'event_time timestamptz, source_partition integer, source_offset bigint',
  ].join(', ');
  const sql = `
    INSERT INTO ${table} AS t (${all.map(q).join(', ')}, ingested_at)
    SELECT ${all.map(q).join(', ')}, clock_timestamp() FROM jsonb_to_recordset($1::jsonb) AS r(${recordset})
    ON CONFLICT (ind) DO UPDATE SET ${[...all.slice(1), 'ingested_at'].map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}
    WHERE (t.source_partition = excluded.source_partition AND t.source_offset < excluded.source_offset)
       OR (t.source_partition <> excluded.source_partition AND t.event_time <= excluded.event_time)`;
  const payload = rows.map((r) => ({
    ...r.record,
    event_time: new Date(r.eventTime).toISOString(),
    source_partition: r.partition,
    source_offset: r.offset.toString(),
  }));
  const res = await client.query(sql, [JSON.stringify(payload)]);
  return res.rowCount ?? 0;
}

export async function insertDeadLetters(
  client: PoolClient,
  schema: string,
  stream: string,
  topic: string,
  dead: DeadLetter[],
) {
  if (dead.length === 0) return;
  const payload = dead.map((d) => ({
    partition: d.partition,
    offset: d.offset.toString(),
    reason: d.reason,
    raw: d.raw,
    kafka_timestamp: new Date(d.timestamp).toISOString(),
  }));
  await client.query(
    `INSERT INTO ${q(schema)}.dead_letters (topic, partition, "offset", stream, reason, raw, kafka_timestamp)
     SELECT $1, partition, "offset", $2, reason, raw, kafka_timestamp
     FROM jsonb_to_recordset($3::jsonb) AS r(partition integer, "offset" bigint, reason text, raw text, kafka_timestamp timestamptz)
     ON CONFLICT DO NOTHING`,
    [topic, stream, JSON.stringify(payload)],
  );
}

/** Creates missing checkpoint rows (at the partition's first offset); idempotent. */
export async function ensureCheckpoints(
  client: pg.Pool | PoolClient,
  schema: string,
  stream: string,
  topic: string,
  starts: Checkpoint[],
) {
  await client.query(
    `INSERT INTO ${q(schema)}.stream_offsets (stream, topic, partition, next_offset)
     SELECT $1, $2, partition, next_offset FROM jsonb_to_recordset($3::jsonb) AS r(partition integer, next_offset bigint)
     ON CONFLICT DO NOTHING`,
    [
      stream,
      topic,
      JSON.stringify(starts.map((s) => ({ partition: s.partition, next_offset: s.nextOffset.toString() }))),
    ],
  );
}

export async function readCheckpoints(
  client: pg.Pool | PoolClient,
  schema: string,
  stream: string,
  topic: string,
  forUpdate = false,
): Promise<Map<number, bigint>> {
  const { rows } = await client.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${q(schema)}.stream_offsets WHERE stream = $1 AND topic = $2
     ORDER BY partition ${forUpdate ? 'FOR UPDATE' : ''}`,
    [stream, topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}

export interface CheckpointUpdate {
  partition: number;
  nextOffset: bigint;
  applied: number;
  dead: number;
  highWatermark: bigint;
}

/** The stream's cumulative counts, as committed. */
export interface StreamTotals {
  applied: number;
  dead: number;
}

export async function advanceCheckpoints(
  client: PoolClient,
  schema: string,
  stream: string,
  topic: string,
  updates: CheckpointUpdate[],
): Promise<StreamTotals> {
  await client.query(
    `UPDATE ${q(schema)}.stream_offsets o
     SET next_offset = u.next_offset, records_applied = o.records_applied + u.applied,
         records_dead = o.records_dead + u.dead, high_watermark = u.high_watermark, updated_at = now()
     FROM jsonb_to_recordset($3::jsonb) AS u(partition integer, next_offset bigint, applied bigint, dead bigint,
                                              high_watermark bigint)
     WHERE o.stream = $1 AND o.topic = $2 AND o.partition = u.partition`,
    [
      stream,
      topic,
      JSON.stringify(
        updates.map((u) => ({
          partition: u.partition,
          next_offset: u.nextOffset.toString(),
          applied: u.applied,
          dead: u.dead,
          high_watermark: u.highWatermark.toString(),
        })),
      ),
    ],
  );
  const { rows } = await client.query<{ applied: string; dead: string }>(
    `SELECT coalesce(sum(records_applied), 0) AS applied, coalesce(sum(records_dead), 0) AS dead
     FROM ${q(schema)}.stream_offsets WHERE stream = $1`,
    [stream],
  );
  return { applied: Number(rows[0]?.applied ?? 0), dead: Number(rows[0]?.dead ?? 0) };
}
