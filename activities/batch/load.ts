// Load: the day's rows into batch.pin/geo/user, one row per post (its latest event of the day, as
// the clean's latest/ objects hold them; the load keeps the latest per post again, so that it stays
// right given any cleaned objects), replacing the whole day in one transaction so that a re-run never
// duplicates and readers never see half a day.
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { BATCH_FAILURES, dayBounds, type BatchDay } from '../../domain/batch-keys.ts';
import { CLEAN_COLUMNS, CLEAN_SCHEMAS } from '../../domain/clean.ts';
import { CLEAN_SQL_TYPES } from '../../domain/clean-sql.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';
import type { Config } from '../../infra/config.ts';
import { withTransaction, type Pool, type PoolClient } from '../../infra/db.ts';
import { currentRun } from './context.ts';
import { narrowPostgres, permanent } from './failures.ts';
import { forEachGzipLine, textOf } from './gzip-jsonl.ts';
import { mapLimit } from './map-limit.ts';
import { getObject, type Bucket } from './s3-objects.ts';

const q = pg.escapeIdentifier;

interface EventPosition {
  event_time: string;
  source_partition: number;
  source_offset: number;
}

type CleanedRow = Record<string, unknown> & EventPosition & { ind: number };

export interface LoadInput {
  day: BatchDay;
  /** The day's latest/ objects per entity: each post's latest cleaned event (full cleaned objects work too). */
  latest: Record<Entity, string[]>;
}

interface Deps {
  pool: Pool;
  s3: S3Client;
  config: Pick<Config, 'S3_BUCKET' | 'BATCH_SCHEMA'>;
}

/** Later event first: event time, then Kafka position (offsets only order within a partition). */
function isLater(a: EventPosition, b: EventPosition): boolean {
  if (a.event_time !== b.event_time) return a.event_time > b.event_time;
  if (a.source_partition !== b.source_partition) return a.source_partition > b.source_partition;
  return a.source_offset > b.source_offset;
}

/** Cleaned objects of one entity read at once, so that inflating overlaps the scanning. */
const OBJECTS_AT_ONCE = 3;

// A cleaned line starts with its ind and ends with its event position (activities/batch/clean-lines.ts):
// most lines lose to a later event of the same post, so only those two ends are read at first.
const IND_FIELD = '{"ind":';
const POSITION_FIELD = ',"event_time":';

interface Candidate extends EventPosition {
  line: string;
}

function candidate(line: string): { ind: number; candidate: Candidate } {
  const at = line.lastIndexOf(POSITION_FIELD);
  if (!line.startsWith(IND_FIELD) || at < 0) {
    throw permanent(BATCH_FAILURES.cleanedInvalid, `not a cleaned line: ${line.slice(0, 60)}`);
  }
  const ind = Number(line.slice(IND_FIELD.length, line.indexOf(',', IND_FIELD.length)));
  const position = JSON.parse(`{${line.slice(at + 1)}`) as EventPosition;
  return { ind, candidate: { ...position, line } };
}

async function latestPerPost(bucket: Bucket, keys: string[], heartbeat: () => void): Promise<CleanedRow[]> {
  const latest = new Map<number, Candidate>();
  const onLine = (line: string) => {
    const { ind, candidate: c } = candidate(line);
    const seen = latest.get(ind);
    if (seen === undefined || isLater(c, seen)) latest.set(ind, c);
  };
  await mapLimit(keys, OBJECTS_AT_ONCE, async (key) => {
    const { body } = await getObject(bucket, key);
    await forEachGzipLine(body, onLine, async () => heartbeat(), 'latin1');
  });
  return [...latest.values()]
    .map((c) => JSON.parse(textOf(c.line)) as CleanedRow)
    .sort((a, b) => a.ind - b.ind);
}

/** Checks the rows against the cleaned schema: what this activity writes must be what cleaning made. */
function checkRows(entity: Entity, rows: CleanedRow[]): void {
  for (const row of rows) {
    const { event_time, source_partition, source_offset, ...record } = row;
    const result = CLEAN_SCHEMAS[entity].safeParse(record);
    const positionOk =
      !Number.isNaN(Date.parse(event_time)) &&
      Number.isInteger(source_partition) &&
      Number.isInteger(source_offset);
    if (!result.success || !positionOk) {
      const why = result.success ? 'event position' : result.error.issues[0]?.message;
      throw permanent(
        BATCH_FAILURES.cleanedInvalid,
        `cleaned ${entity} row of ind ${row.ind} is invalid: ${why}`,
      );
    }
  }
}

interface Column {
  name: string;
  type: string;
}

const POSITION_COLUMNS: Column[] = [
  { name: 'event_time', type: 'timestamptz' },
  { name: 'source_partition', type: 'integer' },
  { name: 'source_offset', type: 'bigint' },
];

function columnsOf(entity: Entity): Column[] {
  const types: Record<string, string> = CLEAN_SQL_TYPES[entity];
  const clean = CLEAN_COLUMNS[entity].map((name) => ({ name, type: types[name] ?? 'text' }));
  return [...clean, ...POSITION_COLUMNS];
}

/**
 * `INSERT … SELECT $1, … FROM unnest($2::integer[], …)`: one parameter array per column, however many
 * rows. An array column (coordinates, always [latitude, longitude]) travels as two arrays, since
 * unnest would flatten a two-dimensional one.
 */
function insertSql(schema: string, entity: Entity): string {
  const args: string[] = [];
  const values: string[] = [];
  for (const { type } of columnsOf(entity)) {
    const element = type.endsWith('[]') ? type.slice(0, -2) : undefined;
    const parts = element === undefined ? [type] : [element, element];
    const refs = parts.map((t) => {
      args.push(`$${args.length + 2}::${t}[]`);
      return `c${args.length}`;
    });
    values.push(element === undefined ? `u.${refs[0]}` : `ARRAY[${refs.map((r) => `u.${r}`).join(', ')}]`);
  }
  const names = columnsOf(entity).map((c) => q(c.name));
  const aliases = args.map((_, i) => `c${i + 1}`).join(', ');
  return `INSERT INTO ${q(schema)}.${q(entity)} (dt, ${names.join(', ')})
    SELECT $1::date, ${values.join(', ')} FROM unnest(${args.join(', ')}) AS u(${aliases})`;
}

function insertParams(entity: Entity, day: BatchDay, rows: CleanedRow[]): unknown[] {
  const params: unknown[] = [day];
  for (const { name, type } of columnsOf(entity)) {
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

async function replaceDay(
  client: PoolClient,
  schema: string,
  day: BatchDay,
  rows: Record<Entity, CleanedRow[]>,
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, dayBounds(day).start / 86_400_000]);
  for (const entity of ENTITIES) {
    await client.query(`DELETE FROM ${q(schema)}.${q(entity)} WHERE dt = $1`, [day]);
    const sql = insertSql(schema, entity);
    const entityRows = rows[entity];
    for (let i = 0; i < entityRows.length; i += INSERT_ROWS) {
      await client.query(sql, insertParams(entity, day, entityRows.slice(i, i + INSERT_ROWS)));
    }
  }
  const { workflowId, runId } = currentRun();
  const loaded = ENTITIES.reduce((n, e) => n + rows[e].length, 0);
  await client.query(
    `INSERT INTO ${q(schema)}.days AS d (dt, status, workflow_id, run_id, rows_loaded, loaded_at)
     VALUES ($1, 'loaded', $2, $3, $4, now())
     ON CONFLICT (dt) DO UPDATE SET status = 'loaded', workflow_id = $2, run_id = $3, rows_loaded = $4,
       loaded_at = now(), report = NULL, error = NULL, finished_at = NULL`,
    [day, workflowId, runId, loaded],
  );
}

export function createBatchLoadActivities({ pool, s3, config }: Deps) {
  const bucket: Bucket = { s3, name: config.S3_BUCKET };
  return {
    /** Returns the rows loaded per entity. */
    async loadBatchDay({ day, latest: keys }: LoadInput): Promise<Record<Entity, number>> {
      const ctx = Context.current();
      const heartbeat = () => ctx.heartbeat();
      const [pin, geo, user] = await Promise.all(
        ENTITIES.map(async (entity) => {
          const latest = await latestPerPost(bucket, keys[entity], heartbeat);
          checkRows(entity, latest);
          return latest;
        }),
      );
      const rows: Record<Entity, CleanedRow[]> = { pin: pin ?? [], geo: geo ?? [], user: user ?? [] };
      const beat = setInterval(heartbeat, 2_000);
      try {
        await withTransaction(pool, (client) => replaceDay(client, config.BATCH_SCHEMA, day, rows));
      } catch (err) {
        throw narrowPostgres(err);
      } finally {
        clearInterval(beat);
      }
      return { pin: rows.pin.length, geo: rows.geo.length, user: rows.user.length };
    },
  };
}

export type BatchLoadActivities = ReturnType<typeof createBatchLoadActivities>;
