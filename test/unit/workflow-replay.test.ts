// Histories recorded from real runs (test/fixtures/histories/, `npm run history:record`) replayed
// against the current workflow code: a change that would break the workflows running when it is
// deployed (a command added, removed or reordered without `patched()`) fails here. (protobufjs 8 is a
// direct dependency so that @temporalio/* share one copy: reading a JSON history checks its types by
// instanceof, which fails across the copies npm otherwise nests under each package.)
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/workflows-path.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

/** Where `npm run history:record` writes. */
const HISTORIES_DIR = path.resolve(import.meta.dirname, '../fixtures/histories');

async function histories() {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      // Named by their workflow id, which a workflow may act on (a batch day's does).
      workflowId: path.basename(file, '.json'),
      history: JSON.parse(await readFile(path.join(HISTORIES_DIR, file), 'utf8')) as unknown,
    })),
  );
}

test('every recorded history replays against the current workflow code', async () => {
  const recorded = await histories();
  assert.deepEqual(
    recorded.map((h) => h.workflowId),
    ['replay-batch-2026-12-02', 'replay-stream-pin', 'replay-units-batch-2021-03-02'],
    'a batch day from before units, a stream (paused, resumed, stopped after 66 micro-batches) and a batch day of nine units are recorded',
  );
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, recorded)) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.deepEqual(failures, []);
});
