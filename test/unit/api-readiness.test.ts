// /readyz's probe cache: at most one probe per TTL, never two at once, a hung probe reads as a timeout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createReadiness } from '../../api/readiness.ts';

describe('readiness', () => {
  test('caches the probe result for the TTL', async () => {
    let probes = 0;
    const readiness = createReadiness(
      async () => {
        probes++;
        return 'ok';
      },
      { timeoutMs: 100, ttlMs: 50 },
    );
    assert.deepEqual(await readiness.check(), { ready: true, kafka: 'ok', shuttingDown: false });
    await readiness.check();
    assert.equal(probes, 1);
    await sleep(60);
    await readiness.check();
    assert.equal(probes, 2);
  });

  test('a failing probe is not ready; a hung one times out without a second probe piling up', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const readiness = createReadiness(
      () => {
        calls++;
        return new Promise<'ok'>((resolve) => (release = () => resolve('ok')));
      },
      { timeoutMs: 20, ttlMs: 0 },
    );
    assert.equal((await readiness.check()).kafka, 'timeout');
    assert.equal((await readiness.check()).ready, false);
    assert.equal(calls, 1, 'no new probe while one is pending');
    release();
    await sleep(1);
    const failing = createReadiness(() => Promise.reject(new Error('ECONNREFUSED')), {
      timeoutMs: 50,
      ttlMs: 0,
    });
    assert.deepEqual(await failing.check(), { ready: false, kafka: 'unreachable', shuttingDown: false });
  });

  test('not ready while a topic is missing', async () => {
    const readiness = createReadiness(async () => 'topics_missing', { timeoutMs: 50, ttlMs: 0 });
    assert.deepEqual(await readiness.check(), { ready: false, kafka: 'topics_missing', shuttingDown: false });
  });

  test('not ready once shutting down, whatever Kafka says', async () => {
    const readiness = createReadiness(async () => 'ok', { timeoutMs: 50, ttlMs: 1_000 });
    readiness.markShuttingDown();
    assert.deepEqual(await readiness.check(), { ready: false, kafka: 'ok', shuttingDown: true });
  });
});
