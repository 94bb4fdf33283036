// `npm run batch -- --date YYYY-MM-DD [--json]`: runs BatchDay for one UTC day now, on the running
// workers (`npm run worker`), and prints the day's report when it completes. A run of that day already
// in progress is joined rather than started twice.
import { parseArgs } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { batchWorkflowId, isBatchDay, reportKey } from '../domain/batch-keys.ts';
import type { BatchDayReport } from '../domain/batch-report.ts';
import { ENTITIES, SEARCH_ATTRIBUTES } from '../domain/wire.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { connectTemporal, workflowUrl } from '../infra/temporal.ts';
import { batchDay } from '../workflows/batch-day.ts';

const USAGE = 'usage: npm run batch -- --date YYYY-MM-DD [--json]';

function summary(r: BatchDayReport): string {
  const rows = ENTITIES.map((e) => {
    const x = r.entities[e];
    const cells = [x.exported.records, x.cleaned.in, x.cleaned.out, x.cleaned.rejected.total, x.loadedRows];
    return `  ${e.padEnd(6)}${cells.map((n) => String(n).padStart(11)).join('')}`;
  });
  const reasons = ENTITIES.flatMap((e) =>
    Object.entries(r.entities[e].cleaned.rejected.byReason).map(([why, n]) => `  ${e}: ${n} × ${why}`),
  );
  const phases = Object.entries(r.phasesMs).map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)}s`);
  return [
    `BatchDay ${r.day}: succeeded${r.dayComplete ? '' : ' (the day had not ended: records up to the run)'}`,
    `  entity   exported    cleaned        out   rejected     loaded`,
    ...rows,
    ...(reasons.length ? ['rejected by reason:', ...reasons] : []),
    `views: ${Object.entries(r.views)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ')}`,
    `phases: ${phases.join(', ')}`,
    `workers holding the files: ${r.localWorkers.join(', ')}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { date: { type: 'string' }, json: { type: 'boolean' } } });
  if (values.date === undefined || !isBatchDay(values.date)) {
    console.error(USAGE);
    process.exit(2);
  }
  const date = values.date;
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    const workflowId = batchWorkflowId(date);
    const handle = await client.workflow.start(batchDay, {
      workflowId,
      taskQueue: config.PIPELINE_TASK_QUEUE,
      args: [{ date }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.batchDate, value: date }],
    });
    const url = workflowUrl(
      config.TEMPORAL_UI_URL,
      config.TEMPORAL_NAMESPACE,
      workflowId,
      handle.firstExecutionRunId,
    );
    console.error(`${workflowId}: running — ${url}`);
    const report = await handle.result();
    console.log(values.json ? JSON.stringify(report, null, 2) : summary(report));
    if (!values.json)
      console.log(`report: s3://${config.S3_BUCKET}/${reportKey(config.BATCH_S3_PREFIX, date)}`);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    console.error(`BatchDay ${date} failed: ${describe(err)}`);
    process.exitCode = 1;
  } finally {
    await connection.close();
  }
}

function describe(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
