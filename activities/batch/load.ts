// Load: the day's rows into batch.pin/geo/user, one row per post (its latest event of the day, as
// the clean's latest/ objects hold them, streamed a chunk at a time), replacing the whole day in one
// transaction so that a re-run never duplicates and readers never see half a day.
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { dayBounds, loadRefusedKey, type BatchDay } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { EntityLoaded } from '../../domain/batch-report.ts';
import { ENTITY } from '../../domain/entities.ts';
import { describeIssues } from '../../domain/zod-issues.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { applyIsolating, withTransaction, type Pool, type PoolClient } from '../../infra/db.ts';
import { describeDataError } from '../../infra/outages.ts';
import { RejectCounter } from './clean-lines.ts';
import { readCleanedLine } from './cleaned-lines.ts';
import { currentRun } from './context.ts';
import { narrowPostgres, permanent } from '../errors.ts';
import { forEachGzipLine, GzipJsonlObjects, textOf } from './gzip-jsonl.ts';
import { getObject, putObject, type Bucket } from './s3-objects.ts';

const q = pg.escapeIdentifier;

type CleanedRow = Record<string, unknown> & {
  ind: number;
  event_time: string;
  source_partition: number;
  source_offset: number;
};

export interface LoadInput {
  day: BatchDay;
  /** The day's latest/ objects per entity, in part order: one cleaned line per post, in ind order. */
  latest: Record<Entity, string[]>;
}

interface Deps {
  pool: Pool;
  s3: S3Client;
  config: Pick<Config, 'S3_BUCKET' | 'BATCH_SCHEMA' | 'BATCH_S3_PREFIX'>;
}

/** Checks a row against the cleaned schema: what this activity writes must be what cleaning made. */
function checkRow(entity: Entity, row: CleanedRow): void {
  const { event_time, source_partition, source_offset, ...record } = row;
  const result = ENTITY[entity].cleaned.safeParse(record);
  const positionOk =
    !Number.isNaN(Date.parse(event_time)) &&
    Number.isInteger(source_partition) &&
    Number.isInteger(source_offset);
  if (!result.success || !positionOk) {
    const why = result.success ? 'event position' : describeIssues(result.error);
    throw permanent(
      FAILURES.BatchCleanedInvalid,
      `cleaned ${entity} row of ind ${row.ind} is invalid: ${why}`,
    );
  }
}

/**
 * The rows of latest/ objects, a chunk at a time, in ind order: each post once (the merge chose its
 * latest event, sorted-runs.ts). Memory holds one chunk, however large the day.
 */
async function forEachChunk(
  bucket: Bucket,
  entity: Entity,
  keys: string[],
  onChunk: (rows: CleanedRow[]) => Promise<void>,
  heartbeat: () => void,
): Promise<void> {
  let chunk: CleanedRow[] = [];
  let previous = -1;
  for (const key of keys) {
    const { body } = await getObject(bucket, key);
    const pending: CleanedRow[][] = [];
    await forEachGzipLine(
      body,
      (line) => {
        const { ind } = readCleanedLine(line);
        if (ind <= previous) {
          throw permanent(
            FAILURES.BatchCleanedInvalid,
            `${key}: ind ${ind} after ${previous}, not one post per line in ind order`,
          );
        }
        previous = ind;
        const row = JSON.parse(textOf(line)) as CleanedRow;
        checkRow(entity, row);
        chunk.push(row);
        if (chunk.length >= INSERT_ROWS) {
          pending.push(chunk);
          chunk = [];
        }
      },
      async () => {
        for (let rows = pending.shift(); rows; rows = pending.shift()) await onChunk(rows);
        heartbeat();
      },
      'latin1',
    );
    for (let rows = pending.shift(); rows; rows = pending.shift()) await onChunk(rows);
  }
  if (chunk.length > 0) await onChunk(chunk);
}

/**
 * `INSERT … SELECT $1, … FROM unnest($2::integer[], …)`: one parameter array per column, however many
 * rows. An array column (coordinates, always [latitude, longitude]) travels as two arrays, since
 * unnest would flatten a two-dimensional one.
 */
function insertSql(schema: string, entity: Entity): string {
  const args: string[] = [];
  const values: string[] = [];
  for (const { sqlType: type } of ENTITY[entity].tableColumns) {
    const element = type.endsWith('[]') ? type.slice(0, -2) : undefined;
    const parts = element === undefined ? [type] : [element, element];
    const refs = parts.map((t) => {
      args.push(`$${args.length + 2}::${t}[]`);
      return `c${args.length}`;
    });
    values.push(element === undefined ? `u.${refs[0]}` : `ARRAY[${refs.map((r) => `u.${r}`).join(', ')}]`);
  }
  const names = ENTITY[entity].tableColumns.map((c) => q(c.name));
  const aliases = args.map((_, i) => `c${i + 1}`).join(', ');
  return `INSERT INTO ${q(schema)}.${q(ENTITY[entity].table)} (dt, ${names.join(', ')})
    SELECT $1::date, ${values.join(', ')} FROM unnest(${args.join(', ')}) AS u(${aliases})`;
}

function insertParams(entity: Entity, day: BatchDay, rows: CleanedRow[]): unknown[] {
  const params: unknown[] = [day];
  for (const { name, sqlType: type } of ENTITY[entity].tableColumns) {
    if (!type.endsWith('[]')) {
      params.push(rows.map((r) => r[name]));
      continue;
    }
    params.push(
      rows.map((r) => (r[name] as number[])[0]),
      rows.map((r) => (r[name] as number[])[1]),
    );
  }
  return params;
}

const INSERT_ROWS = 5_000;
/** pg_advisory_xact_lock(class, day): two runs of one day load one after the other. */
const LOCK_CLASS = 20_261_121;

interface Refused {
  counts: RejectCounter;
  lines: GzipJsonlObjects;
}

/**
 * Replaces the day's rows of every entity in one transaction, streaming the latest/ objects from S3.
 * A row PostgreSQL refuses for its data (SQLSTATE 22, 23) is set apart with its reason and the rest
 * load: a refused row is a rejection of the day, never a failed or frozen day.
 */
async function replaceDay(
  client: PoolClient,
  deps: Deps,
  day: BatchDay,
  keys: Record<Entity, string[]>,
  heartbeat: () => void,
): Promise<Record<Entity, EntityLoaded>> {
  const schema = deps.config.BATCH_SCHEMA;
  const bucket: Bucket = { s3: deps.s3, name: deps.config.S3_BUCKET };
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, dayBounds(day).start / 86_400_000]);
  const loaded = {} as Record<Entity, EntityLoaded>;
  for (const entity of ENTITIES) {
    await client.query(`DELETE FROM ${q(schema)}.${q(ENTITY[entity].table)} WHERE dt = $1`, [day]);
    const sql = insertSql(schema, entity);
    const refused: Refused = { counts: new RejectCounter(), lines: refusedWriter(deps, bucket, entity, day) };
    let rows = 0;
    await forEachChunk(
      bucket,
      entity,
      keys[entity],
      async (chunk) => {
        const result = await applyIsolating(client, chunk, async (part) => {
          const res = await client.query(sql, insertParams(entity, day, part));
          return res.rowCount ?? 0;
        });
        rows += result.applied;
        for (const { item, error } of result.refused) {
          const reason = describeDataError(error);
          refused.counts.add(reason);
          refused.lines.write(`{"reason":${JSON.stringify(reason)},${JSON.stringify(item).slice(1)}`);
        }
      },
      heartbeat,
    );
    await refused.lines.close();
    loaded[entity] = { rows, refused: refused.counts.toJSON() };
  }
  const { workflowId, runId } = currentRun();
  const total = ENTITIES.reduce((n, e) => n + loaded[e].rows, 0);
  await client.query(
    `INSERT INTO ${q(schema)}.days AS d (dt, status, workflow_id, run_id, rows_loaded, loaded_at)
     VALUES ($1, 'loaded', $2, $3, $4, now())
     ON CONFLICT (dt) DO UPDATE SET status = 'loaded', workflow_id = $2, run_id = $3, rows_loaded = $4,
       loaded_at = now(), report = NULL, error = NULL, finished_at = NULL`,
    [day, workflowId, runId, total],
  );
  return loaded;
}

/** The rows PostgreSQL refused, with their reasons, beside the day's other rejections. */
function refusedWriter(deps: Deps, bucket: Bucket, entity: Entity, day: BatchDay): GzipJsonlObjects {
  return new GzipJsonlObjects({
    maxRecords: Infinity,
    keyOf: () => loadRefusedKey(deps.config.BATCH_S3_PREFIX, entity, day),
    upload: (key, body) => putObject(bucket, key, body, 'application/x-ndjson'),
  });
}

export function createBatchLoadActivities(deps: Deps) {
  return {
    /** Returns the rows loaded and refused per entity. */
    async loadBatchDay({ day, latest: keys }: LoadInput): Promise<Record<Entity, EntityLoaded>> {
      const ctx = Context.current();
      const heartbeat = () => ctx.heartbeat();
      const beat = setInterval(heartbeat, 2_000);
      try {
        return await withTransaction(deps.pool, (client) => replaceDay(client, deps, day, keys, heartbeat));
      } catch (err) {
        throw narrowPostgres(err);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type BatchLoadActivities = ReturnType<typeof createBatchLoadActivities>;
