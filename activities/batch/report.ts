// The day's report, where the serving layer and people find it: reports/dt=…/report.json in S3 and
// batch.days in PostgreSQL (the day's status, counts and report).
import type { S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { reportKey, type BatchDay } from '../../domain/batch-keys.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import type { Config } from '../../infra/config.ts';
import type { Pool } from '../../infra/db.ts';
import { currentRun } from './context.ts';
import { narrowPostgres } from '../errors.ts';
import { putObject } from './s3-objects.ts';

const q = pg.escapeIdentifier;

interface Deps {
  pool: Pool;
  s3: S3Client;
  config: Pick<Config, 'S3_BUCKET' | 'BATCH_S3_PREFIX' | 'BATCH_SCHEMA'>;
}

async function query(pool: Pool, sql: string, params: unknown[]): Promise<void> {
  try {
    await pool.query(sql, params);
  } catch (err) {
    throw narrowPostgres(err);
  }
}

export function createBatchReportActivities({ pool, s3, config }: Deps) {
  const days = `${q(config.BATCH_SCHEMA)}.days`;
  return {
    /** Writes the report to S3 and marks the day succeeded; returns the report's key. */
    async publishBatchReport(report: BatchDayReport): Promise<string> {
      const key = reportKey(config.BATCH_S3_PREFIX, report.day);
      const body = `${JSON.stringify(report, null, 2)}\n`;
      await putObject({ s3, name: config.S3_BUCKET }, key, body, 'application/json');
      const { exported, cleaned, rejected, loadedRows } = report.totals;
      await query(
        pool,
        `INSERT INTO ${days} AS d (dt, status, workflow_id, run_id, rows_loaded, records_exported,
           records_cleaned, records_rejected, report, finished_at)
         VALUES ($1, 'succeeded', $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (dt) DO UPDATE SET status = 'succeeded', workflow_id = $2, run_id = $3, rows_loaded = $4,
           records_exported = $5, records_cleaned = $6, records_rejected = $7, report = $8, error = NULL,
           finished_at = $9, last_failure = NULL`,
        [
          report.day,
          report.workflowId,
          report.runId,
          loadedRows,
          exported,
          cleaned,
          rejected,
          report,
          report.finishedAt,
        ],
      );
      return key;
    },

    /**
     * Records that the day's latest run failed, and why. A day that had succeeded keeps its status,
     * rows and report (they still describe what is loaded): only its last_failure is set.
     */
    async markBatchDayFailed({ day, error }: { day: BatchDay; error: string }): Promise<void> {
      const { workflowId, runId } = currentRun();
      await query(
        pool,
        `INSERT INTO ${days} AS d (dt, status, workflow_id, run_id, error, finished_at, last_failure)
         VALUES ($1, 'failed', $2, $3, $4, now(),
                 jsonb_build_object('workflowId', $2::text, 'runId', $3::text, 'error', $4::text, 'at', now()))
         ON CONFLICT (dt) DO UPDATE SET last_failure = excluded.last_failure,
           status = CASE WHEN d.status = 'succeeded' THEN d.status ELSE 'failed' END,
           workflow_id = CASE WHEN d.status = 'succeeded' THEN d.workflow_id ELSE $2 END,
           run_id = CASE WHEN d.status = 'succeeded' THEN d.run_id ELSE $3 END,
           error = CASE WHEN d.status = 'succeeded' THEN d.error ELSE $4 END,
           finished_at = CASE WHEN d.status = 'succeeded' THEN d.finished_at ELSE now() END`,
        [day, workflowId, runId, error],
      );
    },
  };
}

export type BatchReportActivities = ReturnType<typeof createBatchReportActivities>;
