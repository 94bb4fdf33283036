// The one rule for a post's latest event (domain/latest-event.ts), in its TypeScript forms; the SQL
// forms are run against PostgreSQL in test/integration/latest-event-sql.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLaterEvent, latestEvent, latestPerPost } from '../../domain/latest-event.ts';

const e = (partition: number, offset: number, time: number, id = `${partition}/${offset}`) => ({
  partition,
  offset,
  time,
  id,
});

test('within a partition the higher offset is later, whatever the timestamps', () => {
  assert.equal(isLaterEvent(e(0, 10, 1_000), e(0, 9, 5_000)), true);
  assert.equal(isLaterEvent(e(0, 9, 5_000), e(0, 10, 1_000)), false);
  assert.equal(
    isLaterEvent(e(0, 10n as unknown as number, 1), e(0, 9, 1)),
    true,
    'bigint and number offsets compare',
  );
});

test('between partitions the later timestamp wins, then the higher partition', () => {
  assert.equal(isLaterEvent(e(1, 1, 2_000), e(0, 50, 1_000)), true);
  assert.equal(isLaterEvent(e(0, 50, 1_000), e(1, 1, 2_000)), false);
  assert.equal(isLaterEvent(e(2, 1, 1_000), e(1, 9, 1_000)), true);
});

test('over a set: the latest of each partition first, then of those by time; any order gives the same', () => {
  const events = [e(0, 1, 500), e(0, 2, 100), e(1, 1, 300), e(1, 0, 900)];
  // Partition 0's latest is offset 2 (time 100), partition 1's is offset 1 (time 300): partition 1 wins.
  assert.equal(latestEvent(events)?.id, '1/1');
  for (let i = 0; i < 24; i++) {
    const shuffled = [...events].sort(() => ((i * 7 + 3) % 5) - 2);
    assert.equal(latestEvent(shuffled)?.id, '1/1');
  }
  assert.equal(latestEvent([]), undefined);
});

test('latestPerPost keeps one event per post', () => {
  const rows = [
    { ind: 1, ...e(0, 1, 10) },
    { ind: 2, ...e(1, 4, 10) },
    { ind: 1, ...e(0, 3, 5) },
    { ind: 2, ...e(1, 2, 50) },
  ];
  const latest = latestPerPost(rows, (r) => r.ind).sort((a, b) => a.ind - b.ind);
  assert.deepEqual(
    latest.map((r) => [r.ind, r.offset]),
    [
      [1, 3],
      [2, 4],
    ],
  );
});
