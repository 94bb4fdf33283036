import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addDays,
  batchWorkflowId,
  dayBeforeScheduledTime,
  dayBounds,
  dayPrefix,
  isBatchDay,
  partName,
  rawPartitionPrefix,
  reportKey,
  workerTaskQueue,
} from '../../domain/batch-keys.ts';
import { backfillRange, batchScheduleOptions, scheduledRunTime } from '../../workers/batch-schedule.ts';

test('a day is a real YYYY-MM-DD date', () => {
  for (const day of ['2026-11-21', '2024-02-29', '2031-12-31']) assert.ok(isBatchDay(day), day);
  for (const day of ['2026-02-29', '2026-13-01', '2026-11-21T00:00:00Z', '26-11-21', '', '2026-1-1']) {
    assert.ok(!isBatchDay(day), day);
  }
});

test('a day covers [00:00, 24:00) UTC of its date', () => {
  assert.deepEqual(dayBounds('2026-11-21'), {
    start: Date.parse('2026-11-21T00:00:00Z'),
    end: Date.parse('2026-11-22T00:00:00Z'),
  });
  assert.equal(addDays('2024-02-28', 1), '2024-02-29');
  assert.equal(addDays('2026-01-01', -1), '2025-12-31');
});

test('a scheduled run covers the UTC day before its scheduled time', () => {
  assert.equal(dayBeforeScheduledTime(Date.parse('2026-11-22T00:15:00Z')), '2026-11-21');
  assert.equal(dayBeforeScheduledTime(Date.parse('2026-03-01T23:59:59Z')), '2026-02-28');
  assert.equal(scheduledRunTime('2026-11-21'), Date.parse('2026-11-22T00:15:00Z'));
  assert.deepEqual(backfillRange('2026-11-01', '2026-11-03'), {
    start: new Date('2026-11-02T00:14:59Z'),
    end: new Date('2026-11-04T00:15:01Z'),
  });
});

test('S3 keys are Hive-style, under the key root, numbered deterministically', () => {
  assert.equal(
    rawPartitionPrefix('', 'pin', '2026-11-21', 2) + partName(0),
    'raw/entity=pin/dt=2026-11-21/partition=2/part-00000.jsonl.gz',
  );
  assert.equal(
    dayPrefix('tests/x/', 'cleaned', 'user', '2026-11-21') + partName(12),
    'tests/x/cleaned/entity=user/dt=2026-11-21/part-00012.jsonl.gz',
  );
  assert.equal(reportKey('', '2026-11-21'), 'reports/dt=2026-11-21/report.json');
});

test('ids and queues read as what they are', () => {
  assert.equal(batchWorkflowId('2026-11-21'), 'batch-2026-11-21');
  assert.equal(workerTaskQueue('pinterest-pipeline', 'host-42'), 'pinterest-pipeline@host-42');
});

test('the Schedule runs daily at 00:15 UTC, buffering overlaps, catching up 3 days', () => {
  const options = batchScheduleOptions({ taskQueue: 'q' });
  assert.equal(options.scheduleId, 'batch-daily');
  assert.deepEqual(
    options.spec.calendars?.map(({ hour, minute }) => ({ hour, minute })),
    [{ hour: 0, minute: 15 }],
  );
  assert.equal(options.spec.timezone, 'UTC');
  assert.equal(options.policies?.overlap, 'BUFFER_ALL');
  assert.equal(options.policies?.catchupWindow, '3 days');
  assert.deepEqual(options.action.args, [{}]);
  assert.equal(options.action.workflowId, 'batch-daily');
});
