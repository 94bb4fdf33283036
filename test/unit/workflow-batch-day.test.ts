// BatchDay's control flow with mocked activities, on a dev server of its own (the Temporal CLI the
// stack installs): each Kafka partition of each entity is a unit and a failed unit is retried alone, the
// loads stage every entity before one publish, a permanent failure ends the day with its type, and
// BatchDate/BatchOutcome say how the day went. (Runs started before units take the old path: the
// replay test covers them.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { BatchActivities } from '../../activities/batch/index.ts';
import type { BatchUnitActivities } from '../../activities/batch/local.ts';
import type { PartitionPlan } from '../../activities/batch/export.ts';
import { batchUnitsQueue, batchWorkflowId } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import { ENTITIES, SEARCH_ATTRIBUTES, type Entity } from '../../domain/wire.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { freshName } from '../support/names.ts';
import { startWorkflowTestbed } from '../support/temporal-cli.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const DAY = '2026-11-21';
/** Each entity's records per Kafka partition (a unit each); the clean rejects one pin record of partition 0. */
const RECORDS: Record<Entity, [number, number]> = { pin: [2, 2], geo: [2, 1], user: [1, 1] };
const PARTITIONS = [0, 1] as const;

type SharedActivities = Pick<
  BatchActivities,
  | 'planBatchExport'
  | 'exportBatchPartition'
  | 'loadBatchEntity'
  | 'publishBatchDay'
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

/** A unit's injected failure, by entity, partition, the worker running it and the attempt. */
type Fault = (entity: Entity, partition: number, worker: string, attempt: number) => Error | undefined;

function logCall(calls: Call[], activity: string, entity?: Entity, detail?: string): string {
  const queue = Context.current().info.taskQueue;
  calls.push({ activity, queue, ...(entity && { entity }), ...(detail !== undefined && { detail }) });
  return queue;
}

function partitionPlan(entity: Entity, partition: number): PartitionPlan {
  const end = String(RECORDS[entity][partition]);
  return {
    entity,
    topic: `mock.${entity}`,
    partitions: [...PARTITIONS],
    partition,
    source: 'kafka',
    archive: null,
    read: { from: '0', to: end },
    write: true,
    startOffset: '0',
    endOffset: end,
    endFinal: true,
  };
}

const rawKey = (entity: Entity, partition: number) =>
  `raw/entity=${entity}/partition=${partition}/part-00000.jsonl.gz`;

/** The shared queue's activities. */
function sharedActivities(calls: Call[], overrides: Partial<SharedActivities>): SharedActivities {
  return {
    async planBatchExport({ day }) {
      logCall(calls, 'plan');
      return {
        day,
        dayComplete: true,
        partitions: ENTITIES.flatMap((e) => PARTITIONS.map((p) => partitionPlan(e, p))),
      };
    },
    async exportBatchPartition({ plan }) {
      logCall(calls, 'export', plan.entity);
      const records = RECORDS[plan.entity][plan.partition]!;
      const objects = [{ key: rawKey(plan.entity, plan.partition), records, bytes: 100 }];
      return {
        partition: plan.partition,
        startOffset: '0',
        endOffset: plan.endOffset,
        records,
        objects,
        source: 'kafka',
      };
    },
    async loadBatchEntity({ entity, units }) {
      logCall(calls, 'load', entity, units.map((keys) => keys.join(',')).join(' '));
      const rows = RECORDS[entity][0] + RECORDS[entity][1] - (entity === 'pin' ? 1 : 0);
      return { rows, refused: { total: 0, byReason: {} } };
    },
    async publishBatchDay({ rows }) {
      logCall(calls, 'publish', undefined, JSON.stringify(rows));
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

/** A worker process's units: each takes a moment, as a real one would. */
function unitActivities(calls: Call[], worker: string, fault: Fault): BatchUnitActivities {
  return {
    async cleanBatchUnit({ entity, partition, keys }) {
      logCall(calls, 'unit', entity, `${partition}@${worker}`);
      assert.deepEqual(keys, [rawKey(entity, partition)], 'a unit gets its partition’s raw objects');
      await sleep(150);
      const err = fault(entity, partition, worker, Context.current().info.attempt);
      if (err) throw err;
      const records = RECORDS[entity][partition]!;
      const rejected = entity === 'pin' && partition === 0 ? 1 : 0;
      const rejectedBy: Record<string, number> = rejected ? { 'ind: missing': rejected } : {};
      return {
        entity,
        partition,
        worker,
        downloadMs: 1,
        cleanMs: 2,
        in: records,
        out: records - rejected,
        rejected: { total: rejected, byReason: rejectedBy },
        objects: [],
        rejectedObjects: [],
        latestObjects: [
          {
            key: `latest/entity=${entity}/partition=${partition}/${worker}.jsonl.gz`,
            records: records - rejected,
            bytes: 50,
          },
        ],
      };
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
    fault?: Fault;
    /** Replaces some shared activities; they get the run's call log. */
    shared?: (calls: Call[]) => Partial<SharedActivities>;
    /** Started under another id than the day's (as the Schedule's runs are). */
    startedAs?: string;
    during?: (handle: WorkflowHandle<typeof batchDay>, calls: Call[]) => Promise<void>;
  }

  /**
   * One day on a fresh task queue: a shared worker, and a units worker (`worker-a`), two units at a
   * time. (One process may not run two workers on one queue: spreading over processes is the
   * integration tests' part.)
   */
  async function runDay({ fault = () => undefined, shared = () => ({}), startedAs, during }: DayRun) {
    const queue = freshName('batch-day');
    const prefix = `${queue}-`;
    const dayId = batchWorkflowId(DAY, prefix);
    const calls: Call[] = [];
    const connection = env.nativeConnection;
    const all = [
      await Worker.create({
        connection,
        taskQueue: queue,
        identity: 'shared',
        workflowBundle,
        activities: sharedActivities(calls, shared(calls)),
        defaultHeartbeatThrottleInterval: '100ms',
      }),
      await Worker.create({
        connection,
        taskQueue: batchUnitsQueue(queue),
        identity: 'worker-a',
        activities: {
          ...unitActivities(calls, 'worker-a', fault),
          exportBatchPartition:
            shared(calls).exportBatchPartition ?? sharedActivities(calls, {}).exportBatchPartition,
        },
        maxConcurrentActivityTaskExecutions: 2,
      }),
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
      return { ...settled, calls, handle, dayId };
    });
  }

  const count = (calls: Call[], activity: string) => calls.filter((c) => c.activity === activity).length;
  const units = (calls: Call[]) =>
    calls.filter((c) => c.activity === 'unit').map((c) => `${c.entity}-${c.detail}`);
  const ALL_UNITS = ENTITIES.flatMap((e) => PARTITIONS.map((p) => `${e}-${p}`)).sort();

  describe('units', () => {
    test('each partition of each entity is a unit; the loads get every unit’s objects, then one publish', async () => {
      const { report, error, calls, handle } = await runDay({});
      assert.equal(error, undefined);
      assert.ok(report);
      const done = (report.units ?? []).map((u) => `${u.entity}-${u.partition}`).sort();
      assert.deepEqual(done, ALL_UNITS, 'every unit once in the report');
      assert.equal(units(calls).length, ALL_UNITS.length, 'every unit ran once');
      assert.deepEqual(report.localWorkers, ['worker-a'], 'the workers that did units');
      for (const entity of ENTITIES) {
        const load: Call | undefined = calls.find((c) => c.activity === 'load' && c.entity === entity);
        const perUnit: string[] = load?.detail?.split(' ') ?? [];
        assert.deepEqual(
          perUnit.map((keys) => /partition=(\d)/.exec(keys)?.[1]),
          ['0', '1'],
          `${entity}: one list of latest/ keys per unit, in partition order`,
        );
      }
      const publish = calls.filter((c) => c.activity === 'publish');
      assert.deepEqual(
        publish.map((c) => JSON.parse(c.detail ?? '{}') as unknown),
        [{ pin: 3, geo: 3, user: 2 }],
        'one publish, after the loads, with the rows they staged',
      );
      assert.ok(
        calls.findIndex((c) => c.activity === 'publish') > calls.map((c) => c.activity).lastIndexOf('load'),
        'the day is published once every entity is staged',
      );
      assert.deepEqual(report.totals, { exported: 9, cleaned: 8, rejected: 1, loadedRows: 8 });
      assert.deepEqual(report.entities.pin.cleaned.rejected, { total: 1, byReason: { 'ind: missing': 1 } });
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'succeeded' });
    });

    test('a unit that fails (a lost worker, an outage) is retried alone; the other units run once', async () => {
      const { report, error, calls } = await runDay({
        fault: (entity, partition, _worker, attempt) =>
          entity === 'geo' && partition === 1 && attempt === 1
            ? ApplicationFailure.retryable('S3 is unavailable', FAILURES.S3Unavailable)
            : undefined,
      });
      assert.equal(error, undefined);
      assert.ok(report);
      const ran = units(calls);
      assert.equal(ran.filter((u) => u.startsWith('geo-1@')).length, 2, 'the failed unit ran twice');
      assert.equal(ran.length, ALL_UNITS.length + 1, 'every other unit ran once');
      assert.deepEqual(report.totals, { exported: 9, cleaned: 8, rejected: 1, loadedRows: 8 });
    });

    test('a permanent failure of a unit fails the day before any load, with its type', async () => {
      const { error, calls, handle } = await runDay({
        fault: (entity, partition) =>
          entity === 'user' && partition === 0
            ? ApplicationFailure.nonRetryable(
                'raw/…/part-00000.jsonl.gz is not a complete gzip file',
                FAILURES.BatchObjectCorrupt,
              )
            : undefined,
      });
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchObjectCorrupt);
      assert.equal(units(calls).filter((u) => u.startsWith('user-0@')).length, 1, 'not retried');
      assert.equal(count(calls, 'load') + count(calls, 'publish'), 0, 'nothing loaded');
      assert.equal(count(calls, 'markFailed'), 1);
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });

    test('a publish that finds the staged rows changed fails the day as BatchStagingMismatch', async () => {
      const { error, calls } = await runDay({
        shared: (calls) => ({
          async publishBatchDay() {
            logCall(calls, 'publish');
            throw ApplicationFailure.retryable(
              'pin: staged 3 rows, but the table holds 0',
              FAILURES.BatchStagingMismatch,
            );
          },
        }),
      });
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchStagingMismatch);
      assert.equal(count(calls, 'publish'), 1, 'the retry policy lists the type as non-retryable');
      assert.equal(count(calls, 'report'), 0);
    });
  });

  describe('a permanent failure', () => {
    test('a non-retryable failure fails the day with its type, without a retry', async () => {
      const { error, calls, handle } = await runDay({
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
      assert.equal(count(calls, 'unit') + count(calls, 'load'), 0, 'nothing downloaded or loaded');
      assert.deepEqual(
        calls.filter((c) => c.activity === 'markFailed').map((c) => c.detail),
        ['pin partition 0: offsets before 1200'],
        'the failure is recorded with its innermost message',
      );
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });

    test('a failure of a permanent type is not retried even when raised as retryable', async () => {
      const { error, calls, handle } = await runDay({
        shared: (calls) => ({
          async loadBatchEntity() {
            logCall(calls, 'load');
            throw ApplicationFailure.retryable('violates check constraint', FAILURES.BatchSqlRejected);
          },
        }),
      });
      const cause = rootCause(error);
      assert.ok(cause instanceof ApplicationFailure);
      assert.equal(cause.type, FAILURES.BatchSqlRejected);
      assert.equal(
        count(calls, 'load'),
        ENTITIES.length,
        'each entity’s load once: the retry policy lists the type as non-retryable',
      );
      assert.equal(count(calls, 'report'), 0);
      assert.deepEqual(await outcome(handle), { date: DAY, outcome: 'failed' });
    });
  });

  describe('BatchDate and BatchOutcome', () => {
    test('say "running" while the day runs, then "succeeded"', async () => {
      let open = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      let during: { date?: string; outcome?: string } | undefined;
      const { report, handle, dayId } = await runDay({
        shared: (calls) => ({
          async planBatchExport({ day }) {
            logCall(calls, 'plan');
            await blockedUntil(gate);
            return {
              day,
              dayComplete: true,
              partitions: ENTITIES.flatMap((e) => PARTITIONS.map((p) => partitionPlan(e, p))),
            };
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
      const { report, handle, dayId } = await runDay({ startedAs: 'batch-daily-run' });
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
