// `npm run batch:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--no-wait]`: runs BatchDay for each
// day of the range through the Schedule's backfill (one run after another, as the Schedule's own
// runs), then follows them until they end. Pause, resume and trigger live in the Temporal UI.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { z } from 'zod';
import { exitOnUsageError, parseCommandLine } from '../emulator/cli.ts';
import { dayBounds, isBatchDay, type BatchDay } from '../domain/batch-keys.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { connectTemporal, scheduleUrl } from '../infra/temporal.ts';
import { backfillBatchDays, backfillRange, ensureBatchSchedule } from '../workers/batch-schedule.ts';

const MAX_DAYS = 366;
const HELP = `Usage: npm run batch:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--no-wait]

Asks the daily Schedule to backfill the range: one BatchDay per UTC day, one after another, as the
Schedule's own runs (they show on its page in the Temporal UI), then follows them until they end.
Days already loaded are replaced. At most ${MAX_DAYS} days at once.

  --from D    first day (UTC)
  --to D      last day (UTC), not before --from
  --no-wait   request the backfill and return at once
  --help      show this help`;

const day = z.string({ error: 'required' }).refine(isBatchDay, 'expected YYYY-MM-DD (a real date)');
const BackfillOptions = z
  .object({ from: day, to: day, 'no-wait': z.boolean().default(false) })
  .refine((o) => o.from <= o.to, { message: '--from must not be after --to' });

interface Backfill {
  scheduleId: string;
  from: BatchDay;
  to: BatchDay;
  days: number;
  /** Runs that started before the request belong to earlier runs of the same days. */
  since: Date;
}

/** The Schedule's runs standing for the range's scheduled times: what the backfill started. */
async function backfilledRuns(client: Client, b: Backfill): Promise<WorkflowExecutionInfo[]> {
  // With a second's margin each side: the server's bounds are not inclusive to the nanosecond.
  const { start, end } = backfillRange(b.from, b.to);
  const query =
    `TemporalScheduledById = '${b.scheduleId}' AND ` +
    `TemporalScheduledStartTime BETWEEN '${start.toISOString()}' AND '${end.toISOString()}'`;
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query })) if (run.startTime >= b.since) runs.push(run);
  return runs;
}

/** Prints progress until every day's run has ended; true when all succeeded. */
async function follow(client: Client, b: Backfill): Promise<boolean> {
  const { days } = b;
  let last = '';
  for (;;) {
    const runs = await backfilledRuns(client, b);
    const done = runs.filter((r) => r.status.name !== 'RUNNING');
    const failed = done.filter((r) => r.status.name !== 'COMPLETED');
    const line = `${done.length}/${days} days done, ${failed.length} failed, ${runs.length - done.length} running`;
    if (line !== last) console.log(line);
    last = line;
    if (done.length >= days) {
      for (const r of failed) console.log(`  ${r.workflowId}: ${r.status.name}`);
      return failed.length === 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) return console.log(HELP);
  let values: z.infer<typeof BackfillOptions>;
  try {
    values = parseCommandLine(
      argv,
      { from: { type: 'string' }, to: { type: 'string' }, 'no-wait': { type: 'boolean' } },
      BackfillOptions,
    );
  } catch (err) {
    exitOnUsageError(err, HELP);
  }
  const { from, to } = values;
  const days = (dayBounds(to).start - dayBounds(from).start) / 86_400_000 + 1;
  if (days > MAX_DAYS) {
    console.error(`${days} days: at most ${MAX_DAYS} at once, split the range`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    const scheduleId = config.BATCH_SCHEDULE_ID;
    await ensureBatchSchedule(client, {
      scheduleId,
      taskQueue: config.PIPELINE_TASK_QUEUE,
      idPrefix: config.BATCH_ID_PREFIX,
    });
    const since = new Date(Date.now() - 1_000);
    await backfillBatchDays(client, { from, to, scheduleId });
    console.log(`backfill of ${days} day(s), ${from} to ${to}, requested on schedule ${scheduleId}`);
    console.log(scheduleUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, scheduleId));
    const followed = values['no-wait'] || (await follow(client, { scheduleId, from, to, days, since }));
    if (!followed) process.exitCode = 1;
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
