// SQL of the micro-batch transaction. Rows travel as one jsonb parameter (jsonb_to_recordset), so
// every statement is parameterised whatever the batch size; identifiers are quoted by pg.
import pg from 'pg';
import { ENTITY, type CleanRecord } from '../domain/entities.ts';
import { laterEventSql, latestPerPost, type EventPosition } from '../domain/latest-event.ts';
import { storableText } from '../domain/storable-text.ts';
import type { Entity } from '../domain/wire.ts';
import type { PoolClient } from '../infra/db.ts';

const q = pg.escapeIdentifier;

export interface StreamRow<E extends Entity = Entity> extends EventPosition {
  record: CleanRecord<E>;
  offset: bigint;
  /** The message value it was cleaned from: dead-lettered as it is if PostgreSQL refuses the row. */
  raw: Buffer;
}

export interface DeadLetter {
  partition: number;
  offset: bigint;
  reason: string;
  /** The message value exactly as Kafka holds it. */
  raw: Buffer;
  timestamp: number;
}

export interface Checkpoint {
  partition: number;
  nextOffset: bigint;
}

/** A batch may hold several events of one post: the upsert takes its latest (domain/latest-event.ts). */
export function latestPerInd<E extends Entity>(rows: StreamRow<E>[]): StreamRow<E>[] {
  return latestPerPost(rows, (r) => r.record.ind);
}

/** Inserts or overwrites rows by `ind`, keeping the post's latest event (domain/latest-event.ts). */
export async function upsertRows(client: PoolClient, schema: string, entity: Entity, rows: StreamRow[]) {
  if (rows.length === 0) return 0;
  const { table: name, tableColumns } = ENTITY[entity];
  const table = `${q(schema)}.${q(name)}`;
  const all = tableColumns.map((c) => c.name);
  const recordset = tableColumns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ');
  const sql = `
    INSERT INTO ${table} AS t (${all.map(q).join(', ')}, ingested_at)
    SELECT ${all.map(q).join(', ')}, clock_timestamp() FROM jsonb_to_recordset($1::jsonb) AS r(${recordset})
    ON CONFLICT (ind) DO UPDATE SET ${[...all.slice(1), 'ingested_at'].map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}
    WHERE ${laterEventSql('excluded', 't')}`;
  const payload = rows.map((r) => ({
    ...r.record,
    event_time: new Date(r.time).toISOString(),
    source_partition: r.partition,
    source_offset: r.offset.toString(),
  }));
  const res = await client.query(sql, [JSON.stringify(payload)]);
  return res.rowCount ?? 0;
}

/**
 * Records dead letters once per source offset. The raw value is stored as bytes, so a value that is
 * not even text PostgreSQL could hold (a NUL, invalid UTF-8) is kept whole; reasons are made storable.
 */
export async function insertDeadLetters(
  client: PoolClient,
  schema: string,
  stream: string,
  topic: string,
  dead: DeadLetter[],
) {
  if (dead.length === 0) return;
  await client.query(
    `INSERT INTO ${q(schema)}.dead_letters (topic, partition, "offset", stream, reason, raw, kafka_timestamp)
     SELECT $1, partition, "offset", $2, reason, raw, kafka_timestamp
     FROM unnest($3::integer[], $4::bigint[], $5::text[], $6::bytea[], $7::timestamptz[])
       AS r(partition, "offset", reason, raw, kafka_timestamp)
     ON CONFLICT DO NOTHING`,
    [
      topic,
      stream,
      dead.map((d) => d.partition),
      dead.map((d) => d.offset.toString()),
      dead.map((d) => storableText(d.reason)),
      dead.map((d) => d.raw),
      dead.map((d) => new Date(d.timestamp).toISOString()),
    ],
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

/** The checkpoints of `partitions` (a shard's); locked with `forUpdate`, so shards never wait on each other. */
export async function readCheckpoints(
  client: pg.Pool | PoolClient,
  schema: string,
  stream: string,
  topic: string,
  partitions: number[],
  forUpdate = false,
): Promise<Map<number, bigint>> {
  const { rows } = await client.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${q(schema)}.stream_offsets
     WHERE stream = $1 AND topic = $2 AND partition = ANY($3::integer[])
     ORDER BY partition ${forUpdate ? 'FOR UPDATE' : ''}`,
    [stream, topic, partitions],
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

/** Moves the checkpoints on; returns the counts committed over `partitions` (the shard's). */
export async function advanceCheckpoints(
  client: PoolClient,
  schema: string,
  stream: string,
  topic: string,
  updates: CheckpointUpdate[],
  partitions: number[],
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
     FROM ${q(schema)}.stream_offsets WHERE stream = $1 AND topic = $2 AND partition = ANY($3::integer[])`,
    [stream, topic, partitions],
  );
  return { applied: Number(rows[0]?.applied ?? 0), dead: Number(rows[0]?.dead ?? 0) };
}
