import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import { createMetrics } from '../../api/metrics.ts';
import { createRateLimiter, shareOfLimit } from '../../api/rate-limit.ts';
import { FakeProducer } from '../support/fake-producer.ts';
import { request, serve } from '../support/http.ts';
import { pin } from '../support/records.ts';

test('a token bucket per key: the burst at once, then the rate; a refusal says how long to wait', () => {
  const clock = { t: 0 };
  const limiter = createRateLimiter({ ratePerSecond: 10, burst: 20 }, () => clock.t);
  assert.equal(limiter.take('a', 20), 0, 'the burst at once');
  assert.equal(limiter.take('a', 1), 1, 'then empty: 1 s to wait');
  assert.equal(limiter.take('b', 20), 0, 'another key has its own bucket');
  clock.t = 500;
  assert.equal(limiter.take('a', 5), 0, '0.5 s refills 5 records');
  assert.equal(limiter.take('a', 10), 1);
  clock.t = 3_000;
  assert.equal(limiter.take('a', 20), 0, 'refilled, never beyond the burst');
  assert.equal(limiter.take('a', 1), 1);
  clock.t = 10_000;
  assert.equal(
    limiter.take('a', 1_000),
    0,
    'a request larger than the bucket costs the bucket, never refused forever',
  );
  assert.equal(limiter.take('a', 30), 2, '20 records short at 10/s: 2 s');
});

test('API_PROCESSES=N: each process enforces 1/N of the rate and the burst, so N enforce the limit', () => {
  assert.deepEqual(shareOfLimit({ ratePerSecond: 100_000, burst: 200_000 }, 1), {
    ratePerSecond: 100_000,
    burst: 200_000,
  });
  assert.deepEqual(shareOfLimit({ ratePerSecond: 100_000, burst: 200_000 }, 3), {
    ratePerSecond: 100_000 / 3,
    burst: 66_666,
  });
  assert.equal(shareOfLimit({ ratePerSecond: 1, burst: 2 }, 8).burst, 1, 'never an empty bucket');
  const clock = { t: 0 };
  const processes = [1, 2].map(() =>
    createRateLimiter(shareOfLimit({ ratePerSecond: 10, burst: 20 }, 2), () => clock.t),
  );
  for (const limiter of processes) assert.equal(limiter.take('a', 10), 0, 'half the burst in each');
  for (const limiter of processes) assert.equal(limiter.take('a', 1), 1, 'then both are empty');
  clock.t = 1_000;
  for (const limiter of processes) assert.equal(limiter.take('a', 5), 0, 'each refills half the rate');
  for (const limiter of processes) assert.equal(limiter.take('a', 1), 1);
});

test('the write endpoints answer 429 with Retry-After past a key’s limit, and take records again after it', async () => {
  const keys = { 'x-api-key': 'key-a-0123456789' };
  const app = createApp({
    producer: new FakeProducer(),
    readiness: { check: async () => ({ ready: true }) } as never,
    metrics: createMetrics(),
    log: pino({ level: 'silent' }),
    access: {
      write: [
        { name: 'a', key: 'key-a-0123456789' },
        { name: 'b', key: 'key-b-0123456789' },
      ],
      read: [],
      readsNeedKey: false,
    },
    rateLimit: { ratePerSecond: 4, burst: 4 },
    topicPrefix: 'unit',
  });
  const served = await serve(app);
  try {
    const batch = { records: [1, 2, 3].map(() => ({ entity: 'pin', data: pin() })) };
    assert.equal((await request(`${served.url}/v1/events`, { body: batch, headers: keys })).status, 202);
    assert.equal((await request(`${served.url}/v1/pin`, { body: pin(), headers: keys })).status, 202);
    const refused = await request(`${served.url}/v1/pin`, { body: pin(), headers: keys });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal((refused.body as { error: string }).error, 'rate_limited');
    const other = { 'x-api-key': 'key-b-0123456789' };
    assert.equal(
      (await request(`${served.url}/v1/pin`, { body: pin(), headers: other })).status,
      202,
      'key b',
    );
    await delay(1_100);
    assert.equal(
      (await request(`${served.url}/v1/pin`, { body: pin(), headers: keys })).status,
      202,
      'after Retry-After',
    );
  } finally {
    await served.close();
  }
});
