// The invariants a chaos run ends with, each checked against a direct computation: what the API
// acknowledged is in Kafka; each speed table holds each post's latest event in Kafka; each record was
// applied once; the dead letters are exactly the records the cleaning refuses; the day's batch rows
// are what its archive gives, and the archive holds every record of the day.
import pg from 'pg';
import { cleanRecord } from '../../domain/entities.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { isLaterEvent, type EventPosition } from '../../domain/latest-event.ts';
import { streamName } from '../../domain/stream-wire.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import { forEachGzipLine } from '../../activities/batch/gzip-jsonl.ts';
import { splitRawLine } from '../../activities/batch/raw-lines.ts';
import { getObject } from '../../activities/batch/s3-objects.ts';
import type { ChaosEnvironment } from './environment.ts';
import type { Witness } from './witness.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const q = pg.escapeIdentifier;

/** Every value the API acknowledged is in Kafka at least as many times. */
export function checkAcknowledged(witness: Witness, acknowledged: Map<Entity, Map<string, number>>): Check {
  let acked = 0;
  let lost = 0;
  let inKafka = 0;
  for (const entity of ENTITIES) {
    const seen = witness.entities[entity].values;
    for (const [value, n] of acknowledged.get(entity) ?? new Map<string, number>()) {
      acked += n;
      lost += Math.max(0, n - (seen.get(value) ?? 0));
    }
    inKafka += witness.count(entity) - witness.entities[entity].refused.size;
  }
  return {
    name: 'nothing acknowledged is lost',
    ok: lost === 0 && acked > 0,
    detail: `${acked} records acknowledged by the API, ${inKafka} valid records in Kafka (${inKafka - acked} landed without an acknowledgement), ${lost} lost`,
  };
}

/** Each speed table row is its post's latest event in Kafka, and each post of Kafka has its row. */
export async function checkSpeedTables(env: ChaosEnvironment, witness: Witness): Promise<Check> {
  const wrong: string[] = [];
  let rows = 0;
  for (const entity of ENTITIES) {
    const { rows: got } = await env.pool.query<{ ind: number; partition: number; offset: string }>(
      `SELECT ind, source_partition AS partition, source_offset AS offset FROM ${q(env.config.STREAM_SCHEMA)}.${q(entity)}`,
    );
    rows += got.length;
    const expected = witness.entities[entity].latest;
    if (got.length !== expected.size)
      wrong.push(`${entity}: ${got.length} rows, ${expected.size} posts in Kafka`);
    for (const r of got) {
      const e = expected.get(r.ind);
      if (!e || e.partition !== r.partition || e.offset !== Number(r.offset)) {
        wrong.push(
          `${entity} ${r.ind}: row from ${r.partition}/${r.offset}, latest is ${e ? `${e.partition}/${e.offset}` : 'none'}`,
        );
      }
    }
  }
  return {
    name: 'speed tables = latest event per post in Kafka',
    ok: wrong.length === 0,
    detail: wrong.length ? wrong.slice(0, 5).join('; ') : `${rows} rows, each its post's latest event`,
  };
}

/** Records applied (rows or dead letters) per topic = records in the topic: none twice, none skipped. */
export async function checkExactlyOnce(env: ChaosEnvironment, witness: Witness): Promise<Check> {
  const detail: string[] = [];
  let ok = true;
  for (const entity of ENTITIES) {
    const { rows } = await env.pool.query<{ applied: string; dead: string }>(
      `SELECT coalesce(sum(records_applied), 0) AS applied, coalesce(sum(records_dead), 0) AS dead
       FROM ${q(env.config.STREAM_SCHEMA)}.stream_offsets WHERE stream = $1`,
      [streamName(entity, env.config.STREAM_ID_PREFIX)],
    );
    const applied = Number(rows[0]?.applied ?? 0);
    const inKafka = witness.count(entity);
    if (applied !== inKafka) ok = false;
    detail.push(`${entity} ${applied}/${inKafka}`);
  }
  return { name: 'each record applied exactly once', ok, detail: `applied/in Kafka: ${detail.join(', ')}` };
}

/** The dead letters are exactly the records the cleaning refuses (all of them poison), each once. */
export async function checkDeadLetters(env: ChaosEnvironment, witness: Witness): Promise<Check> {
  const { rows } = await env.pool.query<{ topic: string; partition: number; offset: string }>(
    `SELECT topic, partition, "offset" FROM ${q(env.config.STREAM_SCHEMA)}.dead_letters`,
  );
  const got = new Set(rows.map((r) => `${r.topic}/${r.partition}/${r.offset}`));
  const expected = new Set(
    ENTITIES.flatMap((e) =>
      [...witness.entities[e].refused].map((k) => `${entityTopic(env.config.KAFKA_TOPIC_PREFIX, e)}/${k}`),
    ),
  );
  const missing = [...expected].filter((k) => !got.has(k));
  const extra = [...got].filter((k) => !expected.has(k));
  return {
    name: 'dead letters = exactly the poison',
    ok: missing.length === 0 && extra.length === 0 && rows.length === got.size,
    detail: `${got.size} dead letters, ${expected.size} records the cleaning refuses; missing ${missing.length}, unexpected ${extra.length}`,
  };
}

interface RawEvent extends EventPosition {
  offset: number;
}

/**
 * The day's batch rows are what its archive gives (every raw object of the report cleaned, the latest
 * event per post), and the archive holds every record of the day the witness saw in each range.
 */
export async function checkBatchDay(
  env: ChaosEnvironment,
  witness: Witness,
  report: BatchDayReport,
): Promise<Check> {
  const wrong: string[] = [];
  let rows = 0;
  const bucket = { s3: env.s3, name: env.config.S3_BUCKET };
  for (const entity of ENTITIES) {
    const latest = new Map<number, RawEvent>();
    for (const p of report.entities[entity].exported.partitions) {
      const offsets: number[] = [];
      for (const o of p.objects) {
        const { body } = await getObject(bucket, o.key);
        await forEachGzipLine(body, (line) => {
          const raw = splitRawLine(line);
          offsets.push(raw.offset);
          if (raw.valueText === undefined) return;
          let value: unknown;
          try {
            value = JSON.parse(raw.valueText);
          } catch {
            return;
          }
          const cleaned = cleanRecord(entity, value);
          if (!cleaned.ok) return;
          const event = { partition: raw.partition, offset: raw.offset, time: raw.timestamp };
          const prior = latest.get(cleaned.record.ind);
          if (!prior || isLaterEvent(event, prior)) latest.set(cleaned.record.ind, event);
        });
      }
      const seen = [...(witness.entities[entity].offsets.get(p.partition) ?? [])].filter(
        (o) => o >= Number(p.startOffset) && o < Number(p.endOffset),
      );
      if (seen.length !== offsets.length || new Set(offsets).size !== offsets.length) {
        wrong.push(
          `${entity} p${p.partition}: archive holds ${offsets.length} records of [${p.startOffset}, ${p.endOffset}), Kafka had ${seen.length}`,
        );
      }
    }
    const { rows: got } = await env.pool.query<{ ind: number; partition: number; offset: string }>(
      `SELECT ind, source_partition AS partition, source_offset AS offset FROM ${q(env.config.BATCH_SCHEMA)}.${q(entity)} WHERE dt = $1`,
      [report.day],
    );
    rows += got.length;
    if (got.length !== latest.size)
      wrong.push(`${entity}: ${got.length} batch rows, ${latest.size} posts in the archive`);
    for (const r of got) {
      const e = latest.get(r.ind);
      if (!e || e.partition !== r.partition || e.offset !== Number(r.offset))
        wrong.push(`${entity} ${r.ind}: batch row differs from the archive`);
    }
  }
  return {
    name: `batch day ${report.day} = its archive`,
    ok: wrong.length === 0,
    detail: wrong.length
      ? wrong.slice(0, 5).join('; ')
      : `${rows} rows from ${report.totals.exported} archived records (source ${report.source})`,
  };
}
