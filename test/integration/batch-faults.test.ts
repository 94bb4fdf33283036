// BatchDay through faults, on the real stack: S3 down in the middle of a run (a private S3 server,
// killed and restarted), and a worker killed in the middle of its units (only they run again). Either
// way the day completes with the result of a clean run. Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workerTaskQueue } from '../../domain/batch-keys.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { assertDay2Counts, DAY_2, fixtureMessages } from '../support/batch-fixtures.ts';
import { createBatchHarness, type BatchHarness } from '../support/batch-harness.ts';
import { spawnBatchWorker } from '../support/batch-worker-spawn.ts';
import { S3Server } from '../support/s3-server.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const { EventType, PendingActivityState } = proto.temporal.api.enums.v1;

function start(h: BatchHarness, workflowId: string): Promise<WorkflowHandle<typeof batchDay>> {
  return h.client.workflow.start(batchDay, {
    workflowId,
    taskQueue: h.name,
    args: [{ date: DAY_2, idPrefix: h.config.BATCH_ID_PREFIX }],
  });
}

async function pending(handle: WorkflowHandle) {
  return (await handle.describe()).raw.pendingActivities ?? [];
}

describe('BatchDay with S3 down', () => {
  let s3: S3Server;
  let h: BatchHarness;

  before(async () => {
    s3 = await S3Server.create();
    h = await createBatchHarness({ S3_ENDPOINT: s3.endpoint, BATCH_OBJECT_RECORDS: '2' });
    await h.produce(fixtureMessages());
    await h.startWorkers();
  });

  after(async () => {
    await s3?.start();
    await h?.close();
    await s3?.destroy();
  });

  test('retries with back-off while S3 is down, then completes with the clean run’s result', async () => {
    const clean = await h.runDay(DAY_2);
    const [s3Clean, tablesClean] = [await h.snapshotS3(), await h.snapshotTables()];

    await s3.stop();
    // The day's own workflow id (the clean run has ended): its activities are this run's.
    const handle = await start(h, h.dayWorkflowId(DAY_2));
    const failing = await waitFor(
      'an activity retrying against S3',
      async () => (await pending(handle)).find((a) => (a.attempt ?? 0) >= 3 && a.lastFailure),
      60_000,
    );
    assert.match(failing.lastFailure?.message ?? '', /s3|ECONNREFUSED|connect/i);
    await s3.start();
    const report = await handle.result();

    assertDay2Counts(report);
    assert.deepEqual(report.totals, clean.totals);
    assert.deepEqual(await h.snapshotS3(), s3Clean);
    assert.deepEqual(await h.snapshotTables(), tablesClean);
    // The history shows the retries: the activity started on its third attempt or later, after failing.
    const { events } = await handle.fetchHistory();
    const retried = (events ?? []).filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        (e.activityTaskStartedEventAttributes?.attempt ?? 0) >= 3 &&
        e.activityTaskStartedEventAttributes?.lastFailure,
    );
    assert.ok(retried.length > 0, 'an ActivityTaskStarted event with attempt >= 3 and its last failure');
  });
});

describe('BatchDay with a worker killed in the middle of its units', () => {
  let h: BatchHarness;
  let child: ChildProcess | undefined;
  let childDir: string;

  before(async () => {
    h = await createBatchHarness({ BATCH_OBJECT_RECORDS: '2' });
    await h.produce(fixtureMessages());
    childDir = await mkdtemp(path.join(tmpdir(), 'pinpipe-batch-child-'));
  });

  after(async () => {
    child?.kill('SIGKILL');
    await h?.close();
    await rm(childDir, { recursive: true, force: true });
  });

  /** A worker process whose units hang (heartbeating) for two minutes, taking two at a time. */
  async function startChild(localQueue: string): Promise<void> {
    child = await spawnBatchWorker(
      {
        ...h.env,
        BATCH_WORK_DIR: childDir,
        BATCH_TEST_CLEAN_DELAY_MS: '120000',
        BATCH_UNITS_AT_ONCE: String(DOOMED_UNITS),
      },
      h.name,
      localQueue,
    );
  }

  const DOOMED_UNITS = 2;

  test('only the lost worker’s units run again, on another worker, and the day’s result is a clean run’s', async () => {
    const doomedQueue = workerTaskQueue(h.name, 'doomed');
    await startChild(doomedQueue);
    const handle = await start(h, h.dayWorkflowId(DAY_2));
    const startedUnits = async () =>
      (await pending(handle)).filter(
        (a) =>
          a.activityType?.name === 'cleanBatchUnit' &&
          a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
    await waitFor(
      'the doomed worker holding its units',
      async () => ((await startedUnits()).length === DOOMED_UNITS ? true : undefined),
      60_000,
    );
    // The other units run on a live worker meanwhile: they are done once only the doomed two are left.
    const { localQueue } = await h.startWorkers();
    await waitFor(
      'every other unit done',
      async () => {
        const left = (await pending(handle)).filter((a) => a.activityType?.name === 'cleanBatchUnit');
        const done =
          left.length === DOOMED_UNITS &&
          left.every((a) => a.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
        return done ? true : undefined;
      },
      60_000,
    );
    // The units the lost worker holds, by the ids of their scheduled events.
    const doomed = (await pending(handle))
      .filter((a) => a.activityType?.name === 'cleanBatchUnit')
      .map((a) => a.activityId ?? '');
    assert.equal(doomed.length, DOOMED_UNITS);
    child?.kill('SIGKILL');
    const report = await handle.result();

    assertDay2Counts(report);
    assert.deepEqual(report.localWorkers, [localQueue], 'every unit was completed by the live worker');
    const units = report.units ?? [];
    assert.ok(
      units.length > DOOMED_UNITS,
      `the day has more units than the lost worker held (${units.length})`,
    );
    const { events } = await handle.fetchHistory();
    const unitStarts = (events ?? []).filter(
      (e) =>
        e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        scheduledName(events ?? [], e.activityTaskStartedEventAttributes?.scheduledEventId) ===
          'cleanBatchUnit',
    );
    assert.equal(unitStarts.length, units.length, 'each unit completed once');
    const lostWorker = (e: (typeof unitStarts)[number]) =>
      Boolean(e.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo);
    const scheduledId = (e: (typeof unitStarts)[number]) =>
      scheduledEvent(events ?? [], e.activityTaskStartedEventAttributes?.scheduledEventId)
        ?.activityTaskScheduledEventAttributes?.activityId ?? '';
    const attempts = unitStarts.map(
      (e) => `${scheduledId(e)}: attempt ${e.activityTaskStartedEventAttributes?.attempt}`,
    );
    assert.deepEqual(
      unitStarts.filter(lostWorker).map(scheduledId).sort(),
      [...doomed].sort(),
      `the lost worker’s units, and only they, ran again after a heartbeat timeout (${attempts.join(', ')})`,
    );
    // The same result as a clean run: running the day again on the live worker changes nothing.
    const [s3, tables] = [await h.snapshotS3(), await h.snapshotTables()];
    await h.runDay(DAY_2, `${h.dayWorkflowId(DAY_2)}-again`);
    assert.deepEqual(await h.snapshotS3(), s3);
    assert.deepEqual(await h.snapshotTables(), tables);
  });
});

/** The ActivityTaskScheduled event `id`. */
function scheduledEvent(
  events: proto.temporal.api.history.v1.IHistoryEvent[],
  id: Long | number | null | undefined,
) {
  return events.find((e) => Number(e.eventId) === Number(id));
}

/** The activity type of the ActivityTaskScheduled event `id`. */
function scheduledName(
  events: proto.temporal.api.history.v1.IHistoryEvent[],
  id: Long | number | null | undefined,
) {
  return scheduledEvent(events, id)?.activityTaskScheduledEventAttributes?.activityType?.name;
}
