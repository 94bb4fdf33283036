// `npm run batch -- --date YYYY-MM-DD|today|yesterday [--json]`: runs BatchDay for one UTC day now, on
// the running workers (`npm run worker`), and prints the day's report when it completes. A run of
// that day already in progress is joined rather than started twice.
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import { exitOnUsageError, parseCommandLine } from '../emulator/cli.ts';
import { addDays, batchWorkflowId, isBatchDay, reportKey, utcDay } from '../domain/batch-keys.ts';
import type { BatchDayReport } from '../domain/batch-report.ts';
import { innermostMessage } from '../domain/failures.ts';
import { ENTITIES, SEARCH_ATTRIBUTES } from '../domain/wire.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { connectTemporal, workflowUrl } from '../infra/temporal.ts';
import { batchDay } from '../workflows/batch-day.ts';

const HELP = `Usage: npm run batch -- --date YYYY-MM-DD|today|yesterday [--json]

Runs the batch layer for one UTC day now (BatchDay: export the day's Kafka records to S3, download,
clean, load into PostgreSQL, recompute the views) on the running workers, and prints the day's
report. Today is allowed: it loads the records up to the run, and its report says dayComplete false.
Running a day again replaces it. The daily Schedule runs yesterday by itself at 00:15 UTC.

  --date D   the day (UTC)
  --json     print the whole report as JSON
  --help     show this help`;

const BatchOptions = z.object({
  date: z
    .string({ error: 'required' })
    .transform((d) =>
      d === 'today' ? utcDay(Date.now()) : d === 'yesterday' ? addDays(utcDay(Date.now()), -1) : d,
    )
    .refine(isBatchDay, 'expected YYYY-MM-DD (a real date), today or yesterday'),
  json: z.boolean().default(false),
});

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
    ...(r.units
      ? [
          `units (an entity's partition each, downloaded and cleaned on one worker): ${r.units.length}`,
          ...r.localWorkers.map((w) => {
            const mine = r.units?.filter((u) => u.worker === w) ?? [];
            return `  ${w}: ${mine.length} units, ${mine.reduce((n, u) => n + u.in, 0)} records`;
          }),
        ]
      : [`workers holding the files: ${r.localWorkers.join(', ')}`]),
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return console.log(HELP);
  let values: z.infer<typeof BatchOptions>;
  try {
    values = parseCommandLine(argv, { date: { type: 'string' }, json: { type: 'boolean' } }, BatchOptions);
  } catch (err) {
    exitOnUsageError(err, HELP);
  }
  const date = values.date;
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    const workflowId = batchWorkflowId(date, config.BATCH_ID_PREFIX);
    const handle = await client.workflow.start(batchDay, {
      workflowId,
      taskQueue: config.PIPELINE_TASK_QUEUE,
      args: [{ date, ...(config.BATCH_ID_PREFIX ? { idPrefix: config.BATCH_ID_PREFIX } : {}) }],
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
    console.error(`BatchDay ${date} failed: ${innermostMessage(err)}`);
    process.exitCode = 1;
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
