// BatchDay's own logic with mocked activities, on the stack's Temporal server: the checks it makes
// between the activities, whatever they return.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, type NativeConnection } from '@temporalio/worker';
import type { BatchActivities } from '../../activities/batch/index.ts';
import type { BatchUnitActivities } from '../../activities/batch/local.ts';
import { batchUnitsQueue, batchWorkflowId } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import { loadConfig } from '../../infra/config.ts';
import { WORKFLOWS_PATH } from '../../workers/workflows-path.ts';
import { batchDay } from '../../workflows/batch-day.ts';
import { connectTestTemporal } from '../support/clients.ts';
import { freshName } from '../support/names.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

type Mocked = Partial<BatchActivities>;

/** Activities that export `exported` pin records and clean `cleanedIn` of them; records what was called. */
function mockedDay(exported: number, calls: string[]): Mocked {
  const none = { total: 0, byReason: {} };
  return {
    async planBatchExport({ day }) {
      calls.push('plan');
      const plan = {
        entity: 'pin' as const,
        topic: 'mock.pin',
        partition: 0,
        partitions: [0],
        source: 'kafka' as const,
        archive: null,
        read: { from: '0', to: String(exported) },
        write: true,
        startOffset: '0',
        endOffset: String(exported),
        endFinal: true,
      };
      return { day, dayComplete: true, partitions: [plan] };
    },
    async exportBatchPartition() {
      calls.push('export');
      const objects = [
        { key: 'raw/entity=pin/partition=0/part-00000.jsonl.gz', records: exported, bytes: 100 },
      ];
      return {
        partition: 0,
        startOffset: '0',
        endOffset: String(exported),
        records: exported,
        objects,
        source: 'kafka',
      };
    },
    async loadBatchEntity() {
      calls.push('load');
      return { rows: 0, refused: none };
    },
    async publishBatchDay() {
      calls.push('publish');
    },
    async refreshBatchViews() {
      calls.push('views');
      return {};
    },
    async publishBatchReport() {
      calls.push('report');
      return 'reports/mock.json';
    },
    async markBatchDayFailed({ error }) {
      calls.push(`failed: ${error}`);
    },
  };
}

/** The pin unit's clean, reading `cleanedIn` records back (the only unit: one partition of pins). */
function mockedUnit(cleanedIn: number): BatchUnitActivities {
  return {
    async cleanBatchUnit({ entity, partition }) {
      const n = entity === 'pin' ? cleanedIn : 0;
      return {
        entity,
        partition,
        worker: 'mock',
        downloadMs: 0,
        cleanMs: 0,
        in: n,
        out: n,
        rejected: { total: 0, byReason: {} },
        objects: [],
        rejectedObjects: [],
        latestObjects: [],
      };
    },
  };
}

describe('BatchDay with mocked activities', () => {
  let client: Client;
  let connection: NativeConnection;
  let closeTemporal: () => Promise<void>;

  before(async () => {
    ({ client, connection, close: closeTemporal } = await connectTestTemporal(loadConfig({})));
  });

  after(async () => {
    await closeTemporal();
  });

  async function run(exported: number, cleanedIn: number) {
    const queue = freshName('test-batch-mock');
    const calls: string[] = [];
    const worker = await Worker.create({
      connection,
      taskQueue: queue,
      workflowsPath: WORKFLOWS_PATH,
      activities: mockedDay(exported, calls),
    });
    const units = await Worker.create({
      connection,
      taskQueue: batchUnitsQueue(queue),
      activities: {
        ...mockedUnit(cleanedIn),
        exportBatchPartition: mockedDay(exported, calls).exportBatchPartition,
      },
    });
    const day = '2021-07-01';
    const outcome = await worker.runUntil(
      units.runUntil(
        client.workflow
          .execute(batchDay, {
            workflowId: batchWorkflowId(day, `${queue}-`),
            taskQueue: queue,
            args: [{ date: day, idPrefix: `${queue}-` }],
            // A day the test got wrong ends on its own.
            workflowExecutionTimeout: '1 minute',
          })
          .then(
            (report) => ({ report, error: undefined }),
            (error: unknown) => ({ report: undefined, error }),
          ),
      ),
    );
    return { ...outcome, calls };
  }

  test('records cleaned plus rejected must equal records exported, or the day fails before the load', async () => {
    const { error, calls } = await run(5, 4);
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause as { type?: string; message: string; nonRetryable?: boolean };
    assert.equal(cause.type, FAILURES.BatchCountMismatch);
    assert.match(cause.message, /pin: 5 records exported, but the clean read 4/);
    assert.ok(!calls.includes('load'), 'nothing is loaded');
    assert.ok(
      calls.some((c) => c.startsWith('failed: pin: 5 records exported')),
      'the failure is recorded',
    );
  });

  test('matching counts go on to the load, the views and the report', async () => {
    const { report, calls } = await run(5, 5);
    assert.ok(report);
    assert.deepEqual(calls, ['plan', 'export', 'load', 'load', 'load', 'publish', 'views', 'report']);
  });
});
