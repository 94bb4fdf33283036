import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import type { PipelineStatus } from '../../api/serving/contract.ts';
import { publicStreamError } from '../../api/serving/pipeline.ts';
import { createServingRouter } from '../../api/serving/router.ts';
import { sharedAnswer } from '../../api/serving/shared-answer.ts';

/** A computation that takes 50 ms and counts its runs. */
function counted<T>(value: T) {
  const calls = { n: 0 };
  const compute = async () => {
    calls.n++;
    await delay(50);
    return value;
  };
  return { calls, compute };
}

test('concurrent callers share one computation; later ones its answer until it is too old', async () => {
  const { calls, compute } = counted('answer');
  const shared = sharedAnswer(compute, 300);
  const answers = await Promise.all(Array.from({ length: 20 }, () => shared()));
  assert.deepEqual(new Set(answers), new Set(['answer']));
  assert.equal(calls.n, 1, '20 concurrent callers, one computation');
  await shared();
  assert.equal(calls.n, 1, 'within 300 ms: the same answer');
  await delay(320);
  await shared();
  assert.equal(calls.n, 2, 'older than 300 ms: computed again');
});

test('a failure is not kept: the next call computes again', async () => {
  let n = 0;
  const shared = sharedAnswer(async () => {
    n++;
    if (n === 1) throw new Error('Temporal down');
    return n;
  }, 10_000);
  await assert.rejects(shared(), /Temporal down/);
  assert.equal(await shared(), 2);
});

test('GET /v1/pipeline/status: 50 concurrent requests cost one set of status queries', async () => {
  const status = {
    generatedAt: 'now',
    streams: [],
    batchDays: [],
    schedule: null,
  } as unknown as PipelineStatus;
  const { calls, compute } = counted(status);
  const app = express().use(
    createServingRouter({
      snapshot: () => Promise.reject(new Error('unused')),
      postsPerMinute: () => Promise.reject(new Error('unused')),
      pipelineStatus: sharedAnswer(compute, 2_000),
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    const replies = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${port}/v1/pipeline/status`)),
    );
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    assert.equal(calls.n, 1);
  } finally {
    server.close();
  }
});

test("a failed status query is told in a stable sentence, never in Temporal's words", () => {
  assert.equal(
    publicStreamError('Failed to query Workflow: 4 DEADLINE_EXCEEDED: Deadline exceeded after 5.001s'),
    'no worker answered its status query in time: is a worker running?',
  );
  const other = publicStreamError('Failed to query Workflow: 13 INTERNAL: shard 3 at 10.0.0.7:7234 ...');
  assert.equal(other, 'its status query failed: see npm run stream:status');
  assert.doesNotMatch(other, /10\.0\.0\.7|INTERNAL/);
});
