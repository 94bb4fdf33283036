// Where a partition's records of a day come from in a run (domain/batch-archive.ts): Kafka, the
// archive, both, or nowhere — never a shorter archive than the one there was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decidePartition,
  describeMissing,
  type KafkaPartition,
  type PartitionArchive,
  type PartitionDecision,
} from '../../domain/batch-archive.ts';

const kafka = (low: number, high: number, dayStart: number, dayEnd: number): KafkaPartition => ({
  partition: 0,
  low: BigInt(low),
  high: BigInt(high),
  dayStart: BigInt(dayStart),
  dayEnd: BigInt(dayEnd),
});

const archive = (start: number, end: number, endFinal: boolean): PartitionArchive => ({
  topic: 't',
  partition: 0,
  startOffset: String(start),
  endOffset: String(end),
  endFinal,
  records: end - start,
  objects: [{ key: 'raw/p0/part-00000.jsonl.gz', records: end - start, bytes: 10 }],
});

function decided(d: ReturnType<typeof decidePartition>): PartitionDecision {
  assert.ok(!('missing' in d), `expected a decision, got ${JSON.stringify(d)}`);
  return d;
}

test('no archive, Kafka holds everything since before the day: export the day from Kafka', () => {
  const d = decided(decidePartition(kafka(0, 100, 10, 40), undefined, true));
  assert.deepEqual([d.source, d.read, d.write, d.endFinal], ['kafka', { from: '10', to: '40' }, true, true]);
  // Records before the day were deleted, but one older than the day is still there (dayStart > low).
  assert.equal(decided(decidePartition(kafka(5, 100, 10, 40), undefined, true)).source, 'kafka');
  // A day without events, Kafka still holding what came before it: an empty export.
  assert.deepEqual(decided(decidePartition(kafka(5, 100, 60, 60), undefined, true)).read, {
    from: '60',
    to: '60',
  });
});

test('the end is final only once the day is over and a record of a later day follows it', () => {
  assert.equal(decided(decidePartition(kafka(0, 40, 10, 40), undefined, true)).endFinal, false);
  assert.equal(decided(decidePartition(kafka(0, 100, 10, 40), undefined, false)).endFinal, false);
});

test('no archive, and Kafka may have deleted the start of the day: missing, never loaded short', () => {
  const d = decidePartition(kafka(30, 100, 30, 40), undefined, true);
  assert.deepEqual(d, { missing: { partition: 0, from: null, to: '30' } });
  assert.equal(
    describeMissing('pin', { partition: 0, from: null, to: '30' }),
    'pin partition 0: offsets before 30',
  );
  // Everything deleted: no day can be told empty.
  assert.ok('missing' in decidePartition(kafka(100, 100, 100, 100), undefined, true));
});

test('a final archive is reused as it is, whatever Kafka holds now', () => {
  for (const k of [kafka(0, 100, 10, 40), kafka(100, 100, 100, 100), undefined]) {
    const d = decided(decidePartition(k, archive(10, 40, true), true));
    assert.deepEqual([d.source, d.read, d.write, d.endOffset], ['archive', null, false, '40']);
  }
});

test('an archive whose end was not final is extended with what Kafka added to the day', () => {
  const d = decided(decidePartition(kafka(0, 100, 10, 55), archive(10, 40, false), true));
  assert.deepEqual(
    [d.source, d.read, d.startOffset, d.endOffset, d.endFinal],
    ['archive+kafka', { from: '40', to: '55' }, '10', '55', true],
  );
  // Retention took the start of the day but not what follows the archive: still extended.
  assert.equal(
    decided(decidePartition(kafka(35, 100, 35, 55), archive(10, 40, false), true)).source,
    'archive+kafka',
  );
});

test('nothing new after a non-final archive: reused, and marked final once it is', () => {
  const still = decided(decidePartition(kafka(0, 40, 10, 40), archive(10, 40, false), true));
  assert.deepEqual([still.source, still.write, still.endFinal], ['archive', false, false]);
  const now = decided(decidePartition(kafka(0, 50, 10, 40), archive(10, 40, false), true));
  assert.deepEqual([now.source, now.write, now.endFinal], ['archive', true, true]);
});

test('records after a non-final archive deleted before they were archived: missing, named by offsets', () => {
  const d = decidePartition(kafka(70, 100, 70, 70), archive(10, 40, false), true);
  assert.deepEqual(d, { missing: { partition: 0, from: '40', to: '70' } });
  assert.equal(
    describeMissing('geo', { partition: 0, from: '40', to: '70' }),
    'geo partition 0: offsets 40 to 69',
  );
});

test('a log shorter than the archive (the topic was recreated) keeps the archive', () => {
  const d = decided(decidePartition(kafka(0, 5, 0, 5), archive(10, 40, false), true));
  assert.deepEqual([d.source, d.endOffset], ['archive', '40']);
});

test('an archive is never shortened: every decision ends at or after its end', () => {
  for (let low = 0; low <= 60; low += 5) {
    for (let extra = 0; extra <= 30; extra += 5) {
      const high = 40 + extra;
      const a = archive(10, 40, false);
      const d = decidePartition(kafka(low, high, Math.max(low, 10), high), a, true);
      if ('missing' in d) continue;
      assert.ok(BigInt(d.endOffset) >= 40n && d.startOffset === '10', JSON.stringify(d));
      assert.ok(d.archive === a, 'the archive is kept whole');
    }
  }
});
