// The batch threads without the stack: a task's failure comes back as the failure the thread raised,
// cancellation reaches the task, and the per-file results merge into the day's as one pass would.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/activity';
import { RejectCounter, OTHER_REASONS } from '../../activities/batch/clean-lines.ts';
import { batchThreads, closeBatchThreads } from '../../activities/batch/threads.ts';
import { partName, rawPartitionPrefix } from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import { loadConfig } from '../../infra/config.ts';

// No service is reached: the tasks below fail or are cancelled before anything is uploaded.
const config = loadConfig({ BATCH_S3_PREFIX: 'threads-test/', BATCH_THREADS: '2' });
const rawKey = rawPartitionPrefix('threads-test/', 'pin', '2026-11-21', 0) + partName(0);
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pinpipe-threads-'));
});

after(async () => {
  await closeBatchThreads();
  await rm(dir, { recursive: true, force: true });
});

test('a permanent failure in a thread comes back with its type and as non-retryable', async () => {
  const file = path.join(dir, 'not-gzip');
  await writeFile(file, 'this is not gzip');
  const threads = batchThreads(config);
  await assert.rejects(threads.run('cleanFile', { entity: 'pin', rawKey, file }), (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, not ${String(err)}`);
    assert.equal(err.type, FAILURES.BatchObjectCorrupt);
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, /is not a complete gzip file/);
    return true;
  });
});

test('any other error comes back as a plain, retryable Error naming the cause', async () => {
  const threads = batchThreads(config);
  const file = path.join(dir, 'missing');
  await assert.rejects(threads.run('cleanFile', { entity: 'pin', rawKey, file }), (err: unknown) => {
    assert.ok(!(err instanceof ApplicationFailure));
    assert.match((err as Error).message, /ENOENT/);
    return true;
  });
});

test('an aborted signal cancels the task in its thread', async () => {
  const lines = Array.from({ length: 400_000 }, (_, i) =>
    JSON.stringify({ partition: 0, offset: i, timestamp: 1795248000000 + i, key: '1', value: { bad: i } }),
  );
  const file = path.join(dir, 'big.jsonl.gz');
  await writeFile(file, gzipSync(lines.join('\n') + '\n', { level: 1 }));
  const threads = batchThreads(config);
  const controller = new AbortController();
  let progressed = 0;
  const run = threads.run(
    'cleanFile',
    { entity: 'pin', rawKey, file },
    {
      signal: controller.signal,
      onProgress: () => {
        progressed++;
        controller.abort();
      },
    },
  );
  await assert.rejects(run, /cancelled/);
  assert.ok(progressed >= 1, 'the task reported progress before it was cancelled');
});

test('RejectCounter.addAll of per-file counts equals counting in one pass', () => {
  const reasons = Array.from({ length: 150 }, (_, i) => `reason ${String(i).padStart(3, '0')}`);
  const one = new RejectCounter();
  const files = [new RejectCounter(), new RejectCounter()];
  reasons.forEach((r, i) => {
    one.add(r);
    files[i % 2]!.add(r);
  });
  const merged = new RejectCounter();
  for (const f of files) merged.addAll(f.toJSON());
  assert.equal(merged.toJSON().total, 150);
  assert.equal(Object.keys(merged.toJSON().byReason).length, 101);
  assert.equal(merged.toJSON().byReason[OTHER_REASONS], 50);
  assert.deepEqual(one.toJSON().total, merged.toJSON().total);
});
