// `npm run batch:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--no-wait]`: runs BatchDay for each
// day of the range through the Schedule's backfill (one run after another, as the Schedule's own
// runs), then follows them until they end. Pause, resume and trigger live in the Temporal UI.
import { parseArgs } from 'node:util';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { dayBounds, isBatchDay, type BatchDay } from '../domain/batch-keys.ts';
import { loadConfigOrExit } from '../infra/config.ts';
import { connectTemporal } from '../infra/temporal.ts';
import { backfillBatchDays, backfillRange, ensureBatchSchedule } from '../workers/batch-schedule.ts';

const USAGE = 'usage: npm run batch:backfill -- --from YYYY-MM-DD --to YYYY-MM-DD [--no-wait]';
const MAX_DAYS = 366;

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
  const { values } = parseArgs({
    options: { from: { type: 'string' }, to: { type: 'string' }, 'no-wait': { type: 'boolean' } },
  });
  const { from, to } = values;
  if (from === undefined || to === undefined || !isBatchDay(from) || !isBatchDay(to) || from > to) {
    console.error(USAGE);
    process.exit(2);
  }
  const days = (dayBounds(to).start - dayBounds(from).start) / 86_400_000 + 1;
  if (days > MAX_DAYS) {
    console.error(`at most ${MAX_DAYS} days at once: split the range`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const { client, connection } = await connectTemporal(config);
  try {
    const scheduleId = config.BATCH_SCHEDULE_ID;
    await ensureBatchSchedule(client, { scheduleId, taskQueue: config.PIPELINE_TASK_QUEUE });
    const since = new Date(Date.now() - 1_000);
    await backfillBatchDays(client, { from, to, scheduleId });
    console.log(`backfill of ${days} day(s), ${from} to ${to}, requested on schedule ${scheduleId}`);
    console.log(`${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/schedules/${scheduleId}`);
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
