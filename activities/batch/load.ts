// Load: the day's rows into batch.pin/geo/user, one row per post (its latest event of the day), so
// that a re-run never duplicates and readers never see half a day. Two steps:
// - loadBatchEntity, the three entities at once (any workers): the units' latest/ objects streamed
//   from S3 and merged (each sorted by ind; a post in two units, which only a change of partition
//   count makes, keeps its latest event), checked, and copied into a staging table of the day;
// - publishBatchDay: in one short transaction, each entity's day replaced by its staging table, and
//   the day marked loaded.
// Days run before units load in one activity and one transaction (loadBatchDay).
import { Context } from '@temporalio/activity';
import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { dayBounds, dayPrefix, loadRefusedKey, type BatchDay } from '../../domain/batch-keys.ts';
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
import { GzipJsonlObjects, gzipLines, textOf } from './gzip-jsonl.ts';
import { getObject, putObject, removeStrays, type Bucket } from './s3-objects.ts';
import { mergeSortedLines } from './sorted-runs.ts';

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

export interface EntityLoadInput {
  day: BatchDay;
  entity: Entity;
  /** Each unit's latest/ objects, in part order: one cleaned line per post of the unit, in ind order. */
  units: string[][];
}

export interface PublishInput {
  day: BatchDay;
  /** The rows each entity's load staged: the publish checks the staging tables still hold them. */
  rows: Record<Entity, number>;
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

/** The lines of latest/ objects, one after the other, as byte strings. */
function latestLines(bucket: Bucket, keys: string[]): AsyncGenerator<string> {
  return gzipLines(keys.map((key) => async () => (await getObject(bucket, key)).body));
}

/**
 * Rows of cleaned lines in ind order, a chunk at a time, each post once and checked against the
 * cleaned schema. Memory holds one chunk, however large the day.
 */
async function forEachChunk(
  entity: Entity,
  lines: AsyncIterable<string>,
  onChunk: (rows: CleanedRow[]) => Promise<void>,
  heartbeat: () => void,
): Promise<void> {
  let chunk: CleanedRow[] = [];
  let previous = -1;
  for await (const line of lines) {
    const { ind } = readCleanedLine(line);
    if (ind <= previous) {
      throw permanent(
        FAILURES.BatchCleanedInvalid,
        `${entity} latest objects: ind ${ind} after ${previous}, not one post per line in ind order`,
      );
    }
    previous = ind;
    const row = JSON.parse(textOf(line)) as CleanedRow;
    checkRow(entity, row);
    chunk.push(row);
    if (chunk.length >= INSERT_ROWS) {
      await onChunk(chunk);
      chunk = [];
      heartbeat();
    }
  }
  if (chunk.length > 0) await onChunk(chunk);
}

/**
 * `INSERT … SELECT $1, … FROM unnest($2::integer[], …)`: one parameter array per column, however many
 * rows. An array column (coordinates, always [latitude, longitude]) travels as two arrays, since
 * unnest would flatten a two-dimensional one.
 */
function insertSql(schema: string, entity: Entity, table = ENTITY[entity].table): string {
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
  return `INSERT INTO ${q(schema)}.${q(table)} (dt, ${names.join(', ')})
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
/** pg_advisory_xact_lock(class, day): see lockDay. */
const LOCK_CLASS = 20_261_121;

interface Refused {
  counts: RejectCounter;
  lines: GzipJsonlObjects;
}

/**
 * Copies rows into `table` (the entity's table or its staging table), a chunk per statement. A row
 * PostgreSQL refuses for its data (SQLSTATE 22, 23) is set apart with its reason under rejected/ and
 * the rest load: a refused row is a rejection of the day, never a failed or frozen day.
 */
async function copyRows(
  client: PoolClient,
  deps: Deps,
  day: BatchDay,
  entity: Entity,
  lines: AsyncIterable<string>,
  table: string,
  heartbeat: () => void,
): Promise<EntityLoaded> {
  const bucket: Bucket = { s3: deps.s3, name: deps.config.S3_BUCKET };
  const sql = insertSql(deps.config.BATCH_SCHEMA, entity, table);
  const refused: Refused = { counts: new RejectCounter(), lines: refusedWriter(deps, bucket, entity, day) };
  let rows = 0;
  await forEachChunk(
    entity,
    lines,
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
  return { rows, refused: refused.counts.toJSON() };
}

/** The day's row in batch.days, marked loaded by this run. */
async function markLoaded(client: PoolClient, schema: string, day: BatchDay, total: number): Promise<void> {
  const { workflowId, runId } = currentRun();
  await client.query(
    `INSERT INTO ${q(schema)}.days AS d (dt, status, workflow_id, run_id, rows_loaded, loaded_at)
     VALUES ($1, 'loaded', $2, $3, $4, now())
     ON CONFLICT (dt) DO UPDATE SET status = 'loaded', workflow_id = $2, run_id = $3, rows_loaded = $4,
       loaded_at = now(), report = NULL, error = NULL, finished_at = NULL`,
    [day, workflowId, runId, total],
  );
}

/** pg_advisory_xact_lock(class, day): two runs of one day write it one after the other. */
async function lockDay(client: PoolClient, day: BatchDay): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, dayBounds(day).start / 86_400_000]);
}

/** `pin_load_20261121`: where an entity's day waits between its load and the day's publish. */
export function stagingTable(entity: Entity, day: BatchDay): string {
  return `${ENTITY[entity].table}_load_${day.replaceAll('-', '')}`;
}

/** Runs fn with a heartbeat every 2 s, narrowing PostgreSQL's errors to the failures they are. */
async function beating<T>(fn: (heartbeat: () => void) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const heartbeat = () => ctx.heartbeat();
  const beat = setInterval(heartbeat, 2_000);
  try {
    return await fn(heartbeat);
  } catch (err) {
    throw narrowPostgres(err);
  } finally {
    clearInterval(beat);
  }
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
  const schema = deps.config.BATCH_SCHEMA;
  const bucket: Bucket = { s3: deps.s3, name: deps.config.S3_BUCKET };
  const columns = (entity: Entity) =>
    ['dt', ...ENTITY[entity].tableColumns.map((c) => c.name)].map((c) => q(c)).join(', ');

  return {
    /**
     * An entity's day into its staging table, in one transaction that first drops what an earlier
     * attempt staged (a retry, or a concurrent attempt thought lost, stages the same rows once).
     * Returns the rows staged and refused.
     */
    async loadBatchEntity({ day, entity, units }: EntityLoadInput): Promise<EntityLoaded> {
      const staging = `${q(schema)}.${q(stagingTable(entity, day))}`;
      const loaded = await beating((heartbeat) =>
        withTransaction(deps.pool, async (client) => {
          await client.query(`DROP TABLE IF EXISTS ${staging}`);
          await client.query(
            `CREATE TABLE ${staging} (LIKE ${q(schema)}.${q(ENTITY[entity].table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
          );
          const lines = mergeSortedLines(units.map((keys) => latestLines(bucket, keys)));
          return copyRows(client, deps, day, entity, lines, stagingTable(entity, day), heartbeat);
        }),
      );
      // The latest/ objects of units that are no longer the day's (and of days run before units).
      const root = deps.config.BATCH_S3_PREFIX;
      await removeStrays(bucket, dayPrefix(root, 'latest', entity, day), units.flat());
      return loaded;
    },

    /** Every entity's day replaced by its staging table, and the day marked loaded, in one transaction. */
    async publishBatchDay({ day, rows }: PublishInput): Promise<void> {
      await beating(() =>
        withTransaction(deps.pool, async (client) => {
          await lockDay(client, day);
          for (const entity of ENTITIES) {
            const table = `${q(schema)}.${q(ENTITY[entity].table)}`;
            const staging = `${q(schema)}.${q(stagingTable(entity, day))}`;
            const exists = await client.query('SELECT to_regclass($1) AS t', [staging]);
            const staged = exists.rows[0].t
              ? Number((await client.query(`SELECT count(*) AS n FROM ${staging}`)).rows[0].n)
              : undefined;
            if (staged !== rows[entity]) {
              throw permanent(
                FAILURES.BatchStagingMismatch,
                `${entity}: the load staged ${rows[entity]} rows for ${day}, but ${staging} ${staged === undefined ? 'is gone' : `holds ${staged}`}`,
              );
            }
            await client.query(`DELETE FROM ${table} WHERE dt = $1`, [day]);
            const cols = columns(entity);
            await client.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM ${staging}`);
            await client.query(`DROP TABLE ${staging}`);
          }
          await markLoaded(
            client,
            schema,
            day,
            ENTITIES.reduce((n, e) => n + rows[e], 0),
          );
        }),
      );
    },

    /** A day run before units: every entity's day replaced in one transaction, in this activity. */
    async loadBatchDay({ day, latest: keys }: LoadInput): Promise<Record<Entity, EntityLoaded>> {
      return beating((heartbeat) =>
        withTransaction(deps.pool, async (client) => {
          await lockDay(client, day);
          const loaded = {} as Record<Entity, EntityLoaded>;
          for (const entity of ENTITIES) {
            await client.query(`DELETE FROM ${q(schema)}.${q(ENTITY[entity].table)} WHERE dt = $1`, [day]);
            const lines = latestLines(bucket, keys[entity]);
            loaded[entity] = await copyRows(
              client,
              deps,
              day,
              entity,
              lines,
              ENTITY[entity].table,
              heartbeat,
            );
          }
          await markLoaded(
            client,
            schema,
            day,
            ENTITIES.reduce((n, e) => n + loaded[e].rows, 0),
          );
          return loaded;
        }),
      );
    },
  };
}

export type BatchLoadActivities = ReturnType<typeof createBatchLoadActivities>;
