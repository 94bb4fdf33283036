// Views: the batch views recomputed over every loaded day, from the SQL files of db/views/
// (infra/views.ts), in one transaction so that readers see either the old answers or the new ones.
import { Context } from '@temporalio/activity';
import pg from 'pg';
import type { Config } from '../../infra/config.ts';
import { withTransaction, type Pool, type PoolClient } from '../../infra/db.ts';
import { readViewFiles, type ViewFiles } from '../../infra/views.ts';
import { currentRun } from './context.ts';
import { narrowPostgres } from '../errors.ts';

const q = pg.escapeIdentifier;

/** pg_advisory_xact_lock(class): refreshes of two days finishing together run one after the other. */
const LOCK_CLASS = 20_261_122;

interface Deps {
  pool: Pool;
  config: Pick<Config, 'BATCH_SCHEMA' | 'BATCH_VIEWS_SCHEMA'>;
}

async function refresh(
  client: PoolClient,
  config: Deps['config'],
  files: ViewFiles,
): Promise<Record<string, number>> {
  const views = q(config.BATCH_VIEWS_SCHEMA);
  await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_CLASS]);
  await client.query(`SET LOCAL search_path TO ${views}, ${q(config.BATCH_SCHEMA)}`);
  await client.query(files.prelude);
  const { workflowId, runId } = currentRun();
  const rows: Record<string, number> = {};
  for (const f of files.views) {
    await client.query(f.sql);
    const counted = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${views}.${q(f.view)}`);
    rows[f.view] = Number(counted.rows[0]?.n ?? 0);
    await client.query(
      `INSERT INTO ${views}.refreshes AS r (view_name, sql_file, sql_sha256, row_count, workflow_id, run_id, refreshed_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (view_name) DO UPDATE SET sql_file = $2, sql_sha256 = $3, row_count = $4,
         workflow_id = $5, run_id = $6, refreshed_at = now()`,
      [f.view, f.file, f.sha256, rows[f.view], workflowId, runId],
    );
  }
  return rows;
}

export function createBatchViewActivities({ pool, config }: Deps) {
  return {
    /** Returns the rows of each view after the refresh. */
    async refreshBatchViews(): Promise<Record<string, number>> {
      const ctx = Context.current();
      const files = await readViewFiles();
      const beat = setInterval(() => ctx.heartbeat(), 2_000);
      try {
        return await withTransaction(pool, (client) => refresh(client, config, files));
      } catch (err) {
        throw narrowPostgres(err);
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type BatchViewActivities = ReturnType<typeof createBatchViewActivities>;
