// One batch day over three worker processes (test/support/batch-worker-process.ts: the workers of
// `npm run worker`, in processes of their own): the day's units (an entity's Kafka partition each) are
// done by more than one worker, each unit once, and the day's objects and rows are exactly what one
// worker makes of the same records. Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workerTaskQueue } from '../../domain/batch-keys.ts';
import { ENTITIES } from '../../domain/wire.ts';
import { assertDay2Counts, DAY_2, fixtureMessages } from '../support/batch-fixtures.ts';
import { createBatchHarness, type BatchHarness } from '../support/batch-harness.ts';
import { spawnBatchWorker } from '../support/batch-worker-spawn.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const WORKERS = 3;
let h: BatchHarness;
let workDir: string;
const children: ChildProcess[] = [];

before(async () => {
  h = await createBatchHarness({ BATCH_OBJECT_RECORDS: '2' });
  await h.produce(fixtureMessages());
  workDir = await mkdtemp(path.join(tmpdir(), 'pinpipe-batch-workers-'));
});

after(async () => {
  await stopChildren();
  await h?.close();
  await rm(workDir, { recursive: true, force: true });
});

/**
 * A worker process taking one unit at a time, each held half a second (heartbeating) before it runs:
 * long enough that every process polling gets some of the day's nine units.
 */
async function startChild(localQueue: string, i: number): Promise<void> {
  const env = {
    ...h.env,
    BATCH_WORK_DIR: path.join(workDir, String(i)),
    BATCH_UNITS_AT_ONCE: '1',
    BATCH_TEST_CLEAN_DELAY_MS: '500',
  };
  children.push(await spawnBatchWorker(env, h.name, localQueue));
}

async function stopChildren(): Promise<void> {
  const alive = children.splice(0).filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of alive) c.kill('SIGTERM');
  await Promise.all(alive.map((c) => once(c, 'exit')));
}

test('three worker processes share a day’s units, each unit once; the result is one worker’s', async () => {
  const queues = Array.from({ length: WORKERS }, (_, i) => workerTaskQueue(h.name, `w${i}`));
  await Promise.all(queues.map((q, i) => startChild(q, i)));
  const report = await h.runDay(DAY_2);

  const units = report.units ?? [];
  const names = units.map((u) => `${u.entity}-${u.partition}`);
  const expected = ENTITIES.flatMap((e) =>
    report.entities[e].exported.partitions.filter((p) => p.records > 0).map((p) => `${e}-${p.partition}`),
  );
  assert.deepEqual(
    [...names].sort(),
    [...expected].sort(),
    'each partition with records is one unit, done once',
  );
  assert.ok(expected.length >= 6, `the day has units to spread (${expected.length})`);
  const workers = new Set(units.map((u) => u.worker));
  assert.ok(
    workers.size >= 2,
    `the units were done by ${workers.size} worker(s): ${[...workers].join(', ')}`,
  );
  for (const w of workers) assert.ok(queues.includes(w), `${w} is one of the three processes`);
  assertDay2Counts(report);
  const [s3, tables] = [await h.snapshotS3(), await h.snapshotTables()];

  // The same day on one worker (in this process), from the same records: the same objects and rows.
  await stopChildren();
  const { localQueue } = await h.startWorkers();
  const single = await h.runDay(DAY_2, `${h.dayWorkflowId(DAY_2)}-one-worker`);
  assert.deepEqual(single.localWorkers, [localQueue]);
  assert.deepEqual(await h.snapshotS3(), s3);
  assert.deepEqual(await h.snapshotTables(), tables);
});
