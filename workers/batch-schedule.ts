// The daily Schedule that starts BatchDay, created or brought up to date idempotently by every worker
// at start-up, and the backfill of a range of days through it.
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { addDays, BATCH_SCHEDULE_ID, dayBounds, type BatchDay } from '../domain/batch-keys.ts';
import { batchDay } from '../workflows/batch-day.ts';

/** Every day at 00:15 UTC: the previous day is over, with a margin for records produced just before midnight. */
export const BATCH_RUN_AT = { hour: 0, minute: 15 } as const;
const RUN_AT_MS = (BATCH_RUN_AT.hour * 60 + BATCH_RUN_AT.minute) * 60_000;

export interface BatchScheduleTarget {
  taskQueue: string;
  scheduleId?: string;
  /** BATCH_ID_PREFIX: each run works on its day under the id `${idPrefix}batch-<day>`. */
  idPrefix?: string;
}

type BatchAction = ScheduleOptionsStartWorkflowAction<typeof batchDay>;

export function batchScheduleOptions({
  taskQueue,
  scheduleId = BATCH_SCHEDULE_ID,
  idPrefix = '',
}: BatchScheduleTarget): ScheduleOptions<BatchAction> {
  return {
    scheduleId,
    spec: {
      calendars: [{ ...BATCH_RUN_AT, comment: 'daily at 00:15 UTC, for the previous UTC day' }],
      timezone: 'UTC',
    },
    action: {
      type: 'startWorkflow',
      workflowType: batchDay,
      // Temporal appends the scheduled time: batch-daily-2026-11-22T00:15:00Z covers 2026-11-21.
      workflowId: scheduleId,
      taskQueue,
      args: [idPrefix ? { idPrefix } : {}],
      staticSummary: 'BatchDay for the UTC day before the scheduled time',
    },
    policies: {
      // Days queue up, in order, one at a time: a day still retrying through an outage delays the
      // next instead of dropping it (SKIP) or racing it (ALLOW_ALL); nothing is lost.
      overlap: ScheduleOverlapPolicy.BUFFER_ALL,
      // A run missed while Temporal was down is still taken up to 3 days late: runs are idempotent
      // and that stays well inside Kafka's 7-day retention. Longer outages are a deliberate backfill.
      catchupWindow: '3 days',
      // A failed day is visible (BatchOutcome=failed, batch.days) and must not stop the next days.
      pauseOnFailure: false,
    },
  };
}

/** Creates the Schedule, or updates its spec, action and policies while keeping its paused state. */
export async function ensureBatchSchedule(
  client: Client,
  target: BatchScheduleTarget,
): Promise<'created' | 'updated'> {
  const options = batchScheduleOptions(target);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    // An operator's pause (and its note) survives a worker restart.
    state: {
      paused: previous.state.paused,
      note: previous.state.note,
      remainingActions: previous.state.remainingActions,
    },
  }));
  return 'updated';
}

/**
 * Runs BatchDay for every day from `from` to `to` through the Schedule: each run stands for the
 * scheduled time of its day (the next day at 00:15), one after another (BUFFER_ALL).
 */
export async function backfillBatchDays(
  client: Client,
  { from, to, scheduleId = BATCH_SCHEDULE_ID }: { from: BatchDay; to: BatchDay; scheduleId?: string },
): Promise<void> {
  const { start, end } = backfillRange(from, to);
  await client.schedule
    .getHandle(scheduleId)
    .backfill({ start, end, overlap: ScheduleOverlapPolicy.BUFFER_ALL });
}

/** The span of scheduled times standing for the days `from`..`to`, with a second's margin each side. */
export function backfillRange(from: BatchDay, to: BatchDay): { start: Date; end: Date } {
  return { start: new Date(scheduledRunTime(from) - 1_000), end: new Date(scheduledRunTime(to) + 1_000) };
}

/** When the Schedule runs for `day`: the next day at 00:15 UTC. */
export function scheduledRunTime(day: BatchDay): number {
  return dayBounds(addDays(day, 1)).start + RUN_AT_MS;
}
