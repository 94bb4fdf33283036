// BatchDay's control flow with mocked activities, on a dev server of its own (the Temporal CLI the
// stack installs): a lost worker's download and clean start over on another worker, a permanent
// failure ends the day with its type, and BatchDate/BatchOutcome say how the day went.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { BatchActivities, BatchLocalActivities } from '../../activities/batch/index.ts';
import type { PartitionPlan } from '../../activities/batch/export.ts';
import { batchWorkflowId, workerTaskQueue } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import { ENTITIES, SEARCH_ATTRIBUTES, type Entity } from '../../domain/wire.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { freshName } from '../support/names.ts';
import { startWorkflowTestbed } from '../support/temporal-cli.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const DAY = '2026-11-21';
/** Each entity's records, exported from one partition; the clean rejects one pin record. */
const RECORDS: Record<Entity, number> = { pin: 4, geo: 3, user: 2 };

type SharedActivities = Pick<
  BatchActivities,
  | 'planBatchExport'
  | 'exportBatchPartition'
  | 'getBatchWorkerQueue'
  | 'loadBatchDay'
  | 'refreshBatchViews'
  | 'publishBatchReport'
  | 'markBatchDayFailed'
>;

/** An activity call, with the task queue it actually ran on. */
interface Call {
  activity: string;
  queue: string;
  entity?: Entity;
  detail?: string;
}

/** A local activity's injected failure, by activity, entity and the queue it runs on. */
type Fault = (activity: 'download' | 'clean', entity: Entity, queue: string) => Error | undefined;

function logCall(calls: Call[], activity: string, entity?: Entity, detail?: string): string {
  const queue = Context.current().info.taskQueue;
  calls.push({ activity, queue, ...(entity && { entity }), ...(detail !== undefined && { detail }) });
  return queue;
}

function partitionPlan(entity: Entity): PartitionPlan {
  const end = String(RECORDS[entity]);
  return {
    entity,
    topic: `mock.${entity}`,
    partitions: [0],
    partition: 0,
    source: 'kafka',
    archive: null,
    read: { from: '0', to: end },
    write: true,
    startOffset: '0',
    endOffset: end,
    endFinal: true,
  };
}

/** The shared queue's activities. getBatchWorkerQueue names `localQueues` in turn, as successive workers would. */
function sharedActivities(
  calls: Call[],
  localQueues: string[],
  overrides: Partial<SharedActivities>,
): SharedActivities {
  let handedOut = 0;
  return {
    async planBatchExport({ day }) {
      logCall(calls, 'plan');
      return { day, dayComplete: true, partitions: ENTITIES.map(partitionPlan) };
    },
    async exportBatchPartition({ plan }) {
      logCall(calls, 'export', plan.entity);
      const records = RECORDS[plan.entity];
      const objects = [{ key: `raw/entity=${plan.entity}/part-00000.jsonl.gz`, records, bytes: 100 }];
      return { partition: 0, startOffset: '0', endOffset: plan.endOffset, records, objects, source: 'kafka' };
    },
    async getBatchWorkerQueue() {
      logCall(calls, 'queue');
      const next = localQueues[handedOut++];
      if (next === undefined) throw ApplicationFailure.nonRetryable('the test has no worker left');
      return next;
    },
    async loadBatchDay({ latest }) {
      logCall(calls, 'load', undefined, ENTITIES.flatMap((e) => latest[e]).join(' '));
      const none = { total: 0, byReason: {} };
      return {
        pin: { rows: 3, refused: none },
        geo: { rows: 3, refused: none },
        user: { rows: 2, refused: none },
      };
    },
    async refreshBatchViews() {
      logCall(calls, 'views');
      return { pin_view: 3 };
    },
    async publishBatchReport() {
      logCall(calls, 'report');
      return `reports/dt=${DAY}/report.json`;
    },
    async markBatchDayFailed({ error }) {
      logCall(calls, 'markFailed', undefined, error);
    },
    ...overrides,
  };
}

/** A worker's own download, clean and clean-up; each clean writes `latest/` keys named by its queue. */
function localActivities(calls: Call[], fault: Fault): BatchLocalActivities {
  return {
    async downloadBatchRaw({ entity, keys }) {
      const queue = logCall(calls, 'download', entity);
      const err = fault('download', entity, queue);
      if (err) throw err;
      return { entity, files: keys.length, bytes: 100 * keys.length };
    },
    async cleanBatchRaw({ entity }) {
      const queue = logCall(calls, 'clean', entity);
      const err = fault('clean', entity, queue);
      if (err) throw err;
      const records = RECORDS[entity];
      const rejected = entity === 'pin' ? 1 : 0;
      const rejectedBy: Record<string, number> = rejected ? { 'ind: missing': rejected } : {};
      return {
        entity,
        in: records,
        out: records - rejected,
        rejected: { total: rejected, byReason: rejectedBy },
        objects: [],
        rejectedObjects: [],
        latestObjects: [
          { key: `latest/${queue}/${entity}.jsonl.gz`, records: records - rejected, bytes: 50 },
        ],
      };
    },
    async removeBatchWorkDir() {
      logCall(calls, 'remove');
    },
  };
}

/** Heartbeats (so that a cancellation reaches it) until `gate` opens or the activity is cancelled. */
async function blockedUntil(gate: Promise<void>): Promise<void> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 100);
  try {
    await Promise.race([gate, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

async function runWorkers<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const [first, ...rest] = workers;
  return first ? first.runUntil(() => runWorkers(rest, fn)) : fn();
}

async function outcome(handle: WorkflowHandle): Promise<{ date?: string; outcome?: string }> {
  const { typedSearchAttributes: attrs } = await handle.describe();
  return { date: attrs.get(SEARCH_ATTRIBUTES.batchDate), outcome: attrs.get(SEARCH_ATTRIBUTES.batchOutcome) };
}

/** The innermost cause of a failed day: the failure an activity or the workflow raised. */
function rootCause(err: unknown): Error {
  assert.ok(err instanceof WorkflowFailedError, `the day failed (${String(err)})`);
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e;
}

describe('BatchDay with mocked activities', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;

  before(async () => {
    ({ env, workflowBundle } = await startWorkflowTestbed());
  });

  after(async () => {
    await env?.teardown();
  });

  interface DayRun {
    /** Ids of the worker processes that answer getBatchWorkerQueue, in turn. */
    workers: string[];
    fault?: Fault;
    /** Replaces some shared activities; they get the run's call log. */
    shared?: (calls: Call[]) => Partial<SharedActivities>;
    /** Started under another id than the day's (as the Schedule's runs are). */
    startedAs?: string;
    during?: (handle: WorkflowHandle<typeof batchDay>, calls: Call[]) => Promise<void>;
  }

  /** One day on a fresh task queue: a shared worker, and a worker (own queue) per id in `workers`. */
  async function runDay({
    workers,
    fault = () => undefined,
    shared = () => ({}),
    startedAs,
    during,
  }: DayRun) {
    const queue = freshName('batch-day');
    const prefix = `${queue}-`;
    const dayId = batchWorkflowId(DAY, prefix);
    const localQueues = workers.map((id) => workerTaskQueue(queue, id));
    const calls: Call[] = [];
    const connection = env.nativeConnection;
    const all = [
      await Worker.create({
        connection,
        taskQueue: queue,
        identity: 'shared',
        workflowBundle,
        activities: sharedActivities(calls, localQueues, shared(calls)),
        defaultHeartbeatThrottleInterval: '100ms',
      }),
      ...(await Promise.all(
        workers.map((identity, i) =>
          Worker.create({
            connection,
            taskQueue: localQueues[i] as string,
            identity,
            activities: localActivities(calls, fault),
          }),
        ),
      )),
    ];
    return runWorkers(all, async () => {
      const handle = await env.client.workflow.start(batchDay, {
        taskQueue: queue,
        workflowId: startedAs ? `${prefix}${startedAs}` : dayId,
        args: [{ date: DAY, idPrefix: prefix }],
        // A day the test got wrong ends on its own, so the workers can shut down.
        workflowExecutionTimeout: '20 seconds',
      });
      await during?.(handle, calls);
      const settled = await handle.result().then(
        (report) => ({ report, error: undefined }),
        (error: unknown) => ({ report: undefined, error }),
      );
      return { ...settled, calls, handle, dayId, localQueues };
    });
  }

  const on = (calls: Call[], queue: string, activity: string) =>
    calls
      .filter((c) => c.queue === queue && c.activity === activity)
      .map((c) => c.entity)
      .sort();
  const count = (calls: Call[], activity: string) => calls.filter((c) => c.activity === activity).length;
  const allEntities = [...ENTITIES].sort();

  describe('a lost worker', () => {
    // What the workflow takes for a lost worker besides a timeout: the worker lacks the day's files
    // (restarted on a new disk) or holds them mangled. (A timeout needs the server's own 30 s
    // schedule-to-start: a TimeoutFailure an activity throws is retried like any other failure.)
    for (const type of [FAILURES.BatchLocalFilesMissing, FAILURES.BatchObjectCorrupt]) {
      test(`a clean failing with ${type} starts the download and clean over on another worker`, async () => {
        const { report, error, calls, handle, localQueues } = await runDay({
          workers: ['worker-a', 'worker-b'],
          fault: (activity, entity, queue) =>
            activity === 'clean' && entity === 'geo' && queue.endsWith('@worker-a')
              ? ApplicationFailure.nonRetryable('the downloaded files are not all there', type)
              : undefined,
        });
        const [a, b] = localQueues as [string, string];
        assert.equal(error, undefined);
        assert.ok(report);
        assert.deepEqual(report.localWorkers, [a, b], 'the report names both workers, in order');
        assert.equal(count(calls, 'queue'), 2);
        assert.deepEqual(on(calls, a, 'download'), allEntities);
        assert.deepEqual(
          on(calls, b, 'download'),
          allEntities,
          'the download starts over, not just the clean',
        );
        assert.deepEqual(on(calls, b, 'clean'), allEntities);
        assert.equal(
          calls.filter((c) => c.activity === 'clean' && c.queue === a && c.entity === 'geo').length,
          1,
          'the failed clean is not retried on the same worker',
        );
        assert.deepEqual(
          calls.filter((c) => c.activity === 'remove').map((c) => c.queue),
          [b],
          'the lost worker’s files are left alone; worker b’s are removed',
        );
        const load = calls.find((c) => c.activity === 'load');
        assert.ok(
          load?.detail?.split(' ').every((key) => key.startsWith(`latest/${b}/`)),
          `worker b’s clean is loaded: ${load?.detail}`,
        );
        assert.deepEqual(report.totals, { exported: 9, cleaned: 8, rejected: 1, loadedRows: 8 });
        assert.equal(count(calls, 'markFailed'), 0);
        assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'succeeded' });
      });
    }

    test('the day fails once five workers in a row were lost', async () => {
      const workers = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
      const { error, calls, handle, localQueues } = await runDay({
        workers,
        fault: (activity) =>
          activity === 'clean'
            ? ApplicationFailure.nonRetryable(
                'this worker does not hold the files',
                FAILURES.BatchLocalFilesMissing,
              )
            : undefined,
      });
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchLocalFilesMissing);
      assert.equal(count(calls, 'queue'), 5, 'five workers tried, the sixth never asked');
      assert.deepEqual(on(calls, localQueues[5] as string, 'download'), []);
      assert.equal(count(calls, 'load'), 0);
      assert.equal(count(calls, 'markFailed'), 1);
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });
  });

  describe('a permanent failure', () => {
    test('a non-retryable failure fails the day with its type, without a retry', async () => {
      const { error, calls, handle } = await runDay({
        workers: ['worker-a'],
        shared: (calls) => ({
          async planBatchExport() {
            logCall(calls, 'plan');
            throw ApplicationFailure.nonRetryable(
              'pin partition 0: offsets before 1200',
              FAILURES.BatchDayExpired,
            );
          },
        }),
      });
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ActivityFailure);
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchDayExpired);
      assert.equal(count(calls, 'plan'), 1, 'not retried');
      assert.equal(count(calls, 'download') + count(calls, 'load'), 0, 'nothing downloaded or loaded');
      assert.deepEqual(
        calls.filter((c) => c.activity === 'markFailed').map((c) => c.detail),
        ['pin partition 0: offsets before 1200'],
        'the failure is recorded with its innermost message',
      );
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });

    test('a failure of a permanent type is not retried even when raised as retryable', async () => {
      const { error, calls, handle } = await runDay({
        workers: ['worker-a'],
        shared: (calls) => ({
          async loadBatchDay() {
            logCall(calls, 'load');
            throw ApplicationFailure.retryable('violates check constraint', FAILURES.BatchSqlRejected);
          },
        }),
      });
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchSqlRejected);
      assert.equal(count(calls, 'load'), 1, 'the retry policy lists the type as non-retryable');
      assert.equal(count(calls, 'report'), 0);
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });

    test('a permanent failure of the clean fails the day on its worker, without moving to another', async () => {
      const { error, calls, localQueues } = await runDay({
        workers: ['worker-a', 'worker-b'],
        fault: (activity, entity) =>
          activity === 'clean' && entity === 'user'
            ? ApplicationFailure.nonRetryable('a cleaned row fails the schema', FAILURES.BatchCleanedInvalid)
            : undefined,
      });
      const [a, b] = localQueues as [string, string];
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchCleanedInvalid);
      assert.equal(count(calls, 'queue'), 1, 'not a lost worker: no other worker is asked');
      assert.deepEqual(on(calls, b, 'download'), []);
      assert.deepEqual(
        calls.filter((c) => c.activity === 'remove').map((c) => c.queue),
        [a],
        'the worker that failed still holds its files, and removes them',
      );
      assert.equal(count(calls, 'load'), 0);
    });
  });

  describe('BatchDate and BatchOutcome', () => {
    test('say "running" while the day runs, then "succeeded"', async () => {
      let open = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      let during: { date?: string; outcome?: string } | undefined;
      const { report, handle, dayId } = await runDay({
        workers: ['worker-a'],
        shared: (calls) => ({
          async planBatchExport({ day }) {
            logCall(calls, 'plan');
            await blockedUntil(gate);
            return { day, dayComplete: true, partitions: ENTITIES.map(partitionPlan) };
          },
        }),
        during: async (handle, calls) => {
          await waitFor('the plan to start', async () => (count(calls, 'plan') > 0 ? true : undefined));
          during = await outcome(handle);
          open();
        },
      });
      assert.deepEqual(during, { date: DAY, outcome: 'running' });
      assert.equal(report?.workflowId, dayId);
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'succeeded' });
    });

    test('say "cancelled" for a cancelled day, which is still recorded as failed', async () => {
      const { error, calls, handle } = await runDay({
        workers: ['worker-a'],
        shared: (calls) => ({
          async planBatchExport() {
            logCall(calls, 'plan');
            await blockedUntil(new Promise(() => {}));
            throw new Error('unreachable: the plan is only ever cancelled');
          },
        }),
        during: async (handle, calls) => {
          await waitFor('the plan to start', async () => (count(calls, 'plan') > 0 ? true : undefined));
          await handle.cancel();
        },
      });
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof CancelledFailure, 'the day ends cancelled, not failed');
      assert.equal(
        count(calls, 'markFailed'),
        1,
        'the cancelled day is recorded even though it was cancelled',
      );
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'cancelled' });
    });

    test('are set on a run started under another id, and on the day’s own run it starts', async () => {
      const { report, handle, dayId } = await runDay({ workers: ['worker-a'], startedAs: 'batch-daily-run' });
      assert.notEqual(handle.workflowId, dayId);
      assert.equal(report?.workflowId, dayId, 'the day ran under its own id, as a child');
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'succeeded' });
      assert.deepEqual(await outcome(env.client.workflow.getHandle(dayId)), {
        date: DAY,
        outcome: 'succeeded',
      });
    });
  });
});
