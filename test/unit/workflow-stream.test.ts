// The stream workflow's control flow with a mocked micro-batch, on a dev server of its own (the
// Temporal CLI the stack installs): pause and resume, stop, continue-as-new with its carried state,
// and the idle back-off between empty micro-batches.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { MicroBatchResult, StreamActivities } from '../../activities/stream.ts';
import { FAILURES } from '../../domain/failures.ts';
import {
  pauseSignal,
  resumeSignal,
  startSignal,
  statusQuery,
  stopSignal,
  streamWorkflowId,
  type StreamStatus,
} from '../../domain/stream-wire.ts';
import { SEARCH_ATTRIBUTES } from '../../domain/wire.ts';
import { stream, type StreamInput } from '../../workflows/stream.ts';
import { freshName } from '../support/names.ts';
import { streamInputFor } from '../support/stream-input.ts';
import { startWorkflowTestbed } from '../support/temporal-cli.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** A micro-batch's answer: `read` records this batch, `applied` committed in all (PostgreSQL's count). */
function batch(read: number, applied: number, newestRecordTime: number | null = null): MicroBatchResult {
  return {
    read,
    totals: { applied, dead: 0 },
    skippedByRetention: 0,
    upserted: read,
    deadLettered: 0,
    partitions: [{ partition: 0, nextOffset: String(applied), highWatermark: String(applied), lag: 0 }],
    newestRecordTime,
    maxFreshnessMs: read > 0 ? 5 : null,
    durationMs: 3,
  };
}

/** A gate the test opens: a micro-batch held on it stays in flight (heartbeating) until then. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function heldUntil(opened: Promise<void>): Promise<void> {
  const ctx = Context.current();
  const beat = setInterval(() => ctx.heartbeat(), 200);
  try {
    await Promise.race([opened, ctx.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

/** What each micro-batch call answers, by its number (1-based) across all runs of the stream. */
type Script = (call: number) => MicroBatchResult | Promise<MicroBatchResult>;

/** Waits until `n` micro-batches have started. */
async function started(calls: number[], n: number, timeoutMs?: number): Promise<void> {
  await waitFor(`micro-batch ${n} to start`, async () => (calls.length >= n ? true : undefined), timeoutMs);
}

async function stateIs(handle: WorkflowHandle, state: StreamStatus['state']): Promise<StreamStatus> {
  return waitFor(`the stream to be ${state}`, async () => {
    const status = await handle.query(statusQuery);
    return status.state === state ? status : undefined;
  });
}

async function streamPaused(handle: WorkflowHandle): Promise<boolean | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTES.streamPaused);
}

describe('stream with a mocked micro-batch', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundle;

  before(async () => {
    ({ env, workflowBundle } = await startWorkflowTestbed());
  });

  after(async () => {
    await env?.teardown();
  });

  /** Runs a stream on a fresh task queue whose micro-batches answer by `script`; `fn` drives it. */
  async function withStream<T>(
    script: Script,
    input: Partial<StreamInput>,
    fn: (handle: WorkflowHandleWithFirstExecutionRunId<typeof stream>, calls: number[]) => Promise<T>,
  ): Promise<T> {
    const queue = freshName('stream');
    // When each micro-batch started, in call order.
    const calls: number[] = [];
    const activities: Pick<StreamActivities, 'runMicroBatch'> = {
      async runMicroBatch() {
        calls.push(Date.now());
        const result = await script(calls.length);
        // A busy stream asks again at once: a few ms each keep its history small.
        await sleep(5);
        return result;
      },
    };
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle,
      activities,
    });
    const args = streamInputFor(queue, 'speed', 'pin', {
      // An empty micro-batch waits a minute unless the test is about the back-off: the stream then
      // sits where the test's script left it.
      idleBackoffMs: { initial: 60_000, max: 60_000 },
      maxBatchesPerRun: 1_000,
      heartbeatTimeoutMs: 5_000,
      retryBackoffMs: { initial: 50, max: 50 },
      ...input,
    });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(stream, {
        taskQueue: queue,
        workflowId: streamWorkflowId(args.stream),
        args: [args],
        // A stream the test got wrong ends on its own (across its runs), so the worker can shut down.
        workflowExecutionTimeout: '30 seconds',
      });
      try {
        return await fn(handle, calls);
      } finally {
        // A test that failed midway leaves no stream running into the next one.
        await handle.terminate('test over').catch(() => undefined);
      }
    });
  }

  test('pause takes effect after the batch in flight, no batch runs while paused, and resume goes on', async () => {
    const held = gate();
    await withStream(
      (n) => (n === 3 ? heldUntil(held.opened).then(() => batch(1, 3)) : batch(1, n)),
      {},
      async (handle, calls) => {
        await started(calls, 3);
        await handle.signal(pauseSignal);
        await stateIs(handle, 'pausing');
        assert.equal(await streamPaused(handle), true);
        held.open();
        const paused = await stateIs(handle, 'paused');
        assert.equal(paused.totals.batches, 3, 'the batch in flight finished and counted');
        await sleep(800);
        assert.equal(calls.length, 3, 'no micro-batch while paused');
        assert.equal((await handle.query(statusQuery)).state, 'paused');

        await handle.signal(resumeSignal);
        await started(calls, 6);
        assert.equal(await streamPaused(handle), false);
        assert.equal((await handle.query(statusQuery)).state, 'running');
      },
    );
  });

  test('stop ends the stream once the batch in flight has finished, and runs no more', async () => {
    const held = gate();
    await withStream(
      (n) => (n === 2 ? heldUntil(held.opened).then(() => batch(4, 6)) : batch(2, 2)),
      {},
      async (handle, calls) => {
        await started(calls, 2);
        await handle.signal(stopSignal);
        await stateIs(handle, 'stopping');
        held.open();
        const final = await handle.result();
        assert.equal(final.state, 'stopped');
        assert.deepEqual(final.totals, {
          batches: 2,
          read: 6,
          cleaned: 6,
          deadLettered: 0,
          skippedByRetention: 0,
        });
        assert.equal(calls.length, 2, 'no micro-batch after the stop');
      },
    );
  });

  test('stop ends a paused stream without another batch', async () => {
    await withStream(
      (n) => batch(1, n),
      {},
      async (handle, calls) => {
        await started(calls, 1);
        await handle.signal(pauseSignal);
        const paused = await stateIs(handle, 'paused');
        await handle.signal(stopSignal);
        const final = await handle.result();
        assert.equal(final.state, 'stopped');
        assert.equal(final.totals.batches, paused.totals.batches);
        assert.equal(calls.length, paused.totals.batches);
      },
    );
  });

  test('a start signal that follows a stop withdraws it', async () => {
    const held = gate();
    await withStream(
      (n) => (n === 2 ? heldUntil(held.opened).then(() => batch(1, 2)) : batch(1, n)),
      {},
      async (handle, calls) => {
        await started(calls, 2);
        await handle.signal(stopSignal);
        await handle.signal(startSignal);
        held.open();
        await started(calls, 5);
        assert.equal((await handle.query(statusQuery)).state, 'running');
      },
    );
  });

  test('continues as new after maxBatchesPerRun, carrying totals, offsets, retrying and generation', async () => {
    const held = gate();
    // Run 1: two batches that read records. Run 2: two failed batches (an outage). Run 3: a batch
    // held in flight while the test looks, which then reads nothing.
    const script: Script = (n) => {
      if (n === 1) return batch(2, 2, 1_001);
      if (n === 2) return batch(3, 5, 1_002);
      if (n === 3 || n === 4)
        throw ApplicationFailure.retryable('PostgreSQL is down', FAILURES.PostgresUnavailable);
      if (n === 5) return heldUntil(held.opened).then(() => batch(0, 5));
      return batch(0, 5);
    };
    await withStream(script, { maxBatchesPerRun: 2 }, async (handle, calls) => {
      await started(calls, 5);
      const carried = await handle.query(statusQuery);
      assert.equal(carried.generation, 2, 'two continue-as-new');
      assert.equal(carried.state, 'retrying');
      assert.deepEqual(carried.totals, {
        batches: 2,
        read: 5,
        cleaned: 5,
        deadLettered: 0,
        skippedByRetention: 0,
      });
      assert.deepEqual(carried.partitions, batch(3, 5).partitions);
      assert.equal(carried.newestRecordTime, 1_002);
      assert.equal(carried.lastBatch?.read, 3);
      assert.equal(carried.retrying?.attempts, 2, 'the failures of the previous run still count');
      assert.equal(carried.retrying?.lastFailure.type, FAILURES.PostgresUnavailable);
      const described = await handle.describe();
      assert.notEqual(described.runId, handle.firstExecutionRunId, 'a new run');
      assert.equal(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.streamRetrying), true);
      const first = await env.client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .describe();
      assert.equal(first.status.name, 'CONTINUED_AS_NEW');

      held.open();
      const settled = await stateIs(handle, 'idle');
      assert.equal(settled.retrying, null, 'a batch that commits ends the retrying');
      assert.equal(settled.totals.batches, 3);
      assert.equal(settled.generation, 2);
      await handle.signal(stopSignal);
      assert.equal((await handle.result()).state, 'stopped');
    });
  });

  test('empty micro-batches back off, doubling up to the maximum; a batch with records resets it', async () => {
    // Whole seconds: the dev server fires a timer no sooner than about a second after it is set.
    const initial = 1_000;
    const max = 3_000;
    // Micro-batches 1-4 read nothing, 5 reads records, 6 and on read nothing again.
    await withStream(
      (n) => (n === 5 ? batch(7, 7) : batch(0, n < 5 ? 0 : 7)),
      { idleBackoffMs: { initial, max } },
      async (handle, calls) => {
        await started(calls, 2);
        assert.equal((await handle.query(statusQuery)).state, 'idle');
        await started(calls, 7, 25_000);
        // How long after the previous call micro-batch `n` (1-based) started.
        const gap = (n: number) => (calls[n - 1] as number) - (calls[n - 2] as number);
        const report = `gaps before calls 2-7 (ms): ${[2, 3, 4, 5, 6, 7].map(gap).join(', ')}`;
        // Timers never fire early, so the lower bounds are exact; the upper ones leave a slow machine
        // most of a second or more, and still rule out the wait a broken back-off would take.
        assert.ok(gap(2) >= initial * 0.95 && gap(2) < initial * 1.9, `the initial back-off: ${report}`);
        assert.ok(gap(3) >= initial * 1.9, `doubles: ${report}`);
        assert.ok(gap(4) >= max * 0.95, `doubles again, up to the max: ${report}`);
        assert.ok(gap(5) >= max * 0.95 && gap(5) < max * 1.6, `stays at the max (not 8 s): ${report}`);
        assert.ok(gap(6) < initial / 2, `a batch that read records is followed at once: ${report}`);
        assert.ok(gap(7) >= initial * 0.95 && gap(7) < max * 0.8, `back to the initial wait: ${report}`);
        await handle.signal(stopSignal);
        assert.equal((await handle.result()).state, 'stopped');
      },
    );
  });
});
