// The batch Schedule on the real Temporal server: registered idempotently (as the worker does at
// start-up) with the intended spec and policies, an operator's pause kept, a triggered run for
// yesterday, and a backfill running each day of a range. Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ScheduleHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { dayBeforeScheduledTime } from '../../domain/batch-keys.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { backfillBatchDays, ensureBatchSchedule } from '../../workers/batch-schedule.ts';
import { DAY_1, DAY_2, EXPECTED_VIEWS, fixtureMessages } from '../support/batch-fixtures.ts';
import { createBatchHarness, type BatchHarness } from '../support/batch-harness.ts';
import { freshName } from '../support/names.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

describe('the batch Schedule', () => {
  let h: BatchHarness;
  let schedule: ScheduleHandle;
  const scheduleId = freshName('batch-daily-test');

  before(async () => {
    h = await createBatchHarness();
    schedule = h.client.schedule.getHandle(scheduleId);
  });

  after(async () => {
    await schedule?.delete().catch(() => undefined);
    await h?.close();
  });

  test('is created once and updated afterwards, with the intended spec, keeping a pause', async () => {
    const target = { scheduleId, taskQueue: h.name, idPrefix: h.config.BATCH_ID_PREFIX };
    assert.equal(await ensureBatchSchedule(h.client, target), 'created');
    const d = await schedule.describe();
    assert.deepEqual(
      d.spec.calendars?.map((c) => [c.hour, c.minute, c.second]),
      [[[{ start: 0, end: 0, step: 1 }], [{ start: 15, end: 15, step: 1 }], [{ start: 0, end: 0, step: 1 }]]],
    );
    assert.equal(d.spec.timezone, 'UTC');
    assert.equal(d.policies.overlap, 'BUFFER_ALL');
    assert.equal(d.policies.catchupWindow, 3 * 86_400_000);
    assert.equal(d.policies.pauseOnFailure, false);
    assert.equal(d.action.type, 'startWorkflow');
    assert.equal(d.action.workflowType, 'batchDay');
    assert.equal(d.action.taskQueue, h.name);
    assert.equal(d.action.workflowId, scheduleId);
    const next = d.info.nextActionTimes[0];
    assert.ok(
      next && next.getUTCHours() === 0 && next.getUTCMinutes() === 15,
      `next run ${next?.toISOString()}`,
    );

    await schedule.pause('paused by an operator');
    assert.equal(await ensureBatchSchedule(h.client, target), 'updated');
    const paused = await schedule.describe();
    assert.deepEqual([paused.state.paused, paused.state.note], [true, 'paused by an operator']);
    await schedule.unpause();
  });

  test('a triggered run covers the day before it and completes', async () => {
    await h.startWorkers();
    const triggeredAt = Date.now();
    await schedule.trigger();
    const action = await waitFor(
      'the triggered run',
      async () => (await schedule.describe()).info.recentActions[0],
    );
    const run = h.client.workflow.getHandle(action.action.workflow.workflowId);
    const report: BatchDayReport = await run.result();
    assert.equal(report.day, dayBeforeScheduledTime(action.scheduledAt.getTime()));
    assert.ok(Math.abs(action.scheduledAt.getTime() - triggeredAt) < 60_000);
    assert.equal(report.totals.exported, 0, 'no records for yesterday on these fresh topics');
    const attributes = (await run.describe()).searchAttributes as Record<string, unknown[]>;
    assert.deepEqual(attributes.BatchDate, [report.day]);
    assert.deepEqual(attributes.BatchOutcome, ['succeeded']);
    assert.deepEqual(attributes.TemporalScheduledById, [scheduleId]);
  });

  test('a backfill runs each day of the range as of its scheduled time', async () => {
    await h.produce(fixtureMessages());
    await backfillBatchDays(h.client, { from: DAY_1, to: DAY_2, scheduleId });
    const reports: BatchDayReport[] = [];
    for (const scheduled of ['2021-03-02T00:15:00Z', '2021-03-03T00:15:00Z']) {
      const workflowId = `${scheduleId}-${scheduled}`;
      await waitFor(
        `${workflowId} started`,
        () =>
          h.client.workflow
            .getHandle(workflowId)
            .describe()
            .then(() => true)
            .catch(() => undefined),
        30_000,
      );
      reports.push(await h.client.workflow.getHandle(workflowId).result());
    }
    assert.deepEqual(
      reports.map((r) => [r.day, r.totals.exported, r.totals.rejected]),
      [
        [DAY_1, 24, 0],
        [DAY_2, 24, 4],
      ],
    );
    const { rows } = await h.clients.pool.query(
      `SELECT count(*)::int AS n FROM ${h.config.BATCH_VIEWS_SCHEMA}.popular_category_by_country`,
    );
    assert.equal(rows[0]?.n, EXPECTED_VIEWS.popular_category_by_country?.length);
  });
});
