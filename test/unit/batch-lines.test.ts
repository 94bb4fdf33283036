import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createLineCleaner,
  OTHER_REASONS,
  REASONS,
  RejectCounter,
} from '../../activities/batch/clean-lines.ts';
import { isoTime, readCleanedLine } from '../../activities/batch/cleaned-lines.ts';
import { mergeRuns, SortedRuns } from '../../activities/batch/sorted-runs.ts';
import { splitRawLine, writeRawLine, type LineSink } from '../../activities/batch/raw-lines.ts';
import { cleanRecord } from '../../domain/entities.ts';

/** A sink that keeps each line as the text the gzip writer would store. */
function lines(): LineSink & { out: string[] } {
  const out: string[] = [];
  return {
    out,
    write: (line) => out.push(line) > 0 && false,
    writeParts: (head, bytes, tail) => out.push(head + bytes.toString('utf8') + tail) > 0 && false,
  };
}

const TS = '1795248000000'; // 2026-11-21T08:00:00.000Z
const user = { ind: 7, first_name: 'Zoë', last_name: 'Ali', age: 20, date_joined: '2015-10-24 11:23:51' };

function rawOf(value: string | null, key: string | null = '7'): string {
  const sink = lines();
  writeRawLine(
    sink,
    2,
    '41',
    TS,
    key === null ? null : Buffer.from(key),
    value === null ? null : Buffer.from(value),
  );
  assert.equal(sink.out.length, 1);
  return sink.out[0]!;
}

test('a raw line keeps the value as received, after its Kafka position and time', () => {
  const value = JSON.stringify(user);
  const line = rawOf(value);
  assert.equal(line, `{"partition":2,"offset":41,"timestamp":1795248000000,"key":"7","value":${value}}`);
  assert.deepEqual(JSON.parse(line).value, user);
  assert.deepEqual(splitRawLine(line), {
    partition: 2,
    offset: 41,
    timestamp: 1795248000000,
    keyText: '"7"',
    valueText: value,
  });
});

test('values that are not one line of JSON stay one line of JSON', () => {
  assert.deepEqual(JSON.parse(rawOf('not json {')), {
    partition: 2,
    offset: 41,
    timestamp: 1795248000000,
    key: '7',
    value_text: 'not json {',
  });
  assert.equal(splitRawLine(rawOf('not json {')).valueText, undefined);
  assert.equal(JSON.parse(rawOf(null, null)).value, null);
  const pretty = JSON.stringify(user, null, 2);
  assert.deepEqual(JSON.parse(rawOf(pretty)).value, user);
  assert.ok(!rawOf(pretty).includes('\n'));
  assert.equal(JSON.parse(rawOf('{"a":1}', 'k"e\\y')).key, 'k"e\\y');
});

/** A cleaner fed as the clean activity feeds it (byte strings), with its output collected as text. */
function cleaner(memoLimit?: number) {
  const cleaned = lines();
  const rejected = lines();
  const clean = createLineCleaner('user', { cleaned, rejected }, memoLimit);
  return {
    cleaned: cleaned.out,
    rejected: rejected.out,
    clean: (line: string) => clean(Buffer.from(line, 'utf8').toString('latin1')),
  };
}

test('a cleaned line is the cleaned record in column order plus its event position', () => {
  const c = cleaner();
  assert.equal(c.clean(rawOf(JSON.stringify(user))), undefined);
  const expected = cleanRecord('user', user);
  assert.ok(expected.ok);
  assert.deepEqual(c.cleaned, [
    `${JSON.stringify(expected.record).slice(0, -1)},"event_time":"2026-11-21T08:00:00.000Z","source_partition":2,"source_offset":41}`,
  ]);
  assert.ok(c.cleaned[0]!.startsWith('{"ind":7,"user_name":"Zoë Ali",'));
  assert.deepEqual(c.rejected, []);
});

test('bad records are rejected with the cleaning’s reason and kept with it, never thrown', () => {
  const c = cleaner();
  const bad = { ...user, age: 'old' };
  const reason = cleanRecord('user', bad);
  assert.ok(!reason.ok);
  for (let i = 0; i < 2; i++) {
    assert.equal(c.clean(rawOf(JSON.stringify(bad))), reason.reason); // the second from the memo
    const kept = JSON.parse(c.rejected[i]!);
    assert.deepEqual([kept.reason, kept.value], [reason.reason, bad]);
  }
  assert.equal(c.clean(rawOf('nope')), REASONS.notJson);
  assert.equal(c.clean('garbage'), REASONS.notARawLine);
  assert.equal(JSON.parse(c.rejected.at(-1)!).line, 'garbage');
  assert.deepEqual(c.cleaned, []);
});

test('the memo never mixes up records: each line is cleaned as if alone', () => {
  const c = cleaner(3);
  for (let i = 0; i < 20; i++) {
    const record = { ...user, ind: i % 5, age: 20 + (i % 7) };
    assert.equal(c.clean(rawOf(JSON.stringify(record))), undefined);
    const parsed = JSON.parse(c.cleaned[i]!) as { ind: number; age: number };
    assert.deepEqual([parsed.ind, parsed.age], [record.ind, record.age]);
  }
  // The memo is keyed by the message key: one key with changing values, one value under many keys.
  for (let i = 0; i < 30; i++) {
    const record = { ...user, ind: i % 4, age: 30 + (i % 6) };
    assert.equal(c.clean(rawOf(JSON.stringify(record), String(i % 3))), undefined);
    const parsed = JSON.parse(c.cleaned.at(-1)!) as { ind: number; age: number };
    assert.deepEqual([parsed.ind, parsed.age], [record.ind, record.age]);
  }
});

test('each post keeps its latest event, by Kafka order, whatever order the events come in', async () => {
  const events = [
    { ind: 2, time: 100, partition: 1, offset: 5, v: 'a' },
    { ind: 1, time: 300, partition: 0, offset: 9, v: 'b' },
    // Later in the partition, earlier by its timestamp: a producer's clock went back. Kafka's order wins.
    { ind: 2, time: 50, partition: 1, offset: 6, v: 'c' },
    { ind: 1, time: 300, partition: 0, offset: 8, v: 'd' },
    // Another partition (the topic's partition count changed): the later timestamp wins.
    { ind: 3, time: 200, partition: 0, offset: 99, v: 'e' },
    { ind: 3, time: 150, partition: 2, offset: 7, v: 'f' },
  ];
  const dir = await mkdtemp(path.join(tmpdir(), 'pinpipe-runs-'));
  try {
    const winners = async (order: typeof events, limit: number, base: string) => {
      // Two runs files (as two raw files would give), each spilling every `limit` posts.
      const runs = [
        new SortedRuns(path.join(dir, `${base}-a`), limit),
        new SortedRuns(path.join(dir, `${base}-b`), limit),
      ];
      order.forEach((e, i) =>
        runs[i % 2]!.offer(e.ind, { ...e, head: Buffer.from(`{"ind":${e.ind},"v":"${e.v}"`) }),
      );
      const files = (await Promise.all(runs.map((r) => r.close()))).flat();
      const sink = lines();
      assert.equal(await mergeRuns(files, sink), 3);
      return sink.out.map((l) => JSON.parse(l) as { ind: number; v: string; source_offset: number });
    };
    const expected = await winners(events, 100, 'one');
    assert.deepEqual(
      expected.map((r) => [r.ind, r.v, r.source_offset]),
      [
        [1, 'b', 9],
        [2, 'c', 6],
        [3, 'e', 99],
      ],
    );
    assert.deepEqual(await winners([...events].reverse(), 100, 'reversed'), expected);
    // Runs of one post each: the merge sees every candidate from a run of its own.
    assert.deepEqual(await winners(events, 1, 'spilled'), expected);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a cleaned line gives back its post and event position', () => {
  const sink = lines();
  const cleaner = createLineCleaner('user', { cleaned: sink, rejected: lines() });
  assert.equal(cleaner(rawOf(JSON.stringify(user))), undefined);
  assert.deepEqual(readCleanedLine(sink.out[0]!), {
    ind: 7,
    position: { time: 1795248000000, partition: 2, offset: 41 },
  });
  assert.throws(() => readCleanedLine('{"ind":7,"user_name":"x"}'), /not a cleaned line/);
});

test('rejections are counted by reason, a flood of distinct reasons kept small', () => {
  const counter = new RejectCounter();
  for (let i = 0; i < 150; i++) counter.add(`reason ${String(i).padStart(3, '0')}`);
  counter.add('reason 000');
  const counts = counter.toJSON();
  assert.equal(counts.total, 151);
  assert.equal(counts.byReason['reason 000'], 2);
  assert.equal(counts.byReason[OTHER_REASONS], 50);
  assert.equal(Object.keys(counts.byReason).length, 101);
});

test('isoTime is toISOString', () => {
  for (const ms of [0, 86_399_999, 86_400_000, 951_782_400_000, 1_795_248_000_123, 253_402_300_799_999]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test('splitRawLine reads what writeRawLine wrote, by its fast path or the general one', () => {
  for (const [value, key] of [
    ['{"a":"x,\\"value\\":1"}', 'k"1'],
    ['{"a":1}', null],
    ['oops', '7'],
  ] as const) {
    const line = rawOf(value, key);
    const parsed = JSON.parse(line) as { value?: unknown };
    const parts = splitRawLine(line);
    assert.deepEqual([parts.partition, parts.offset, parts.timestamp], [2, 41, 1795248000000]);
    assert.equal(JSON.parse(parts.keyText), key);
    assert.deepEqual(parts.valueText === undefined ? undefined : JSON.parse(parts.valueText), parsed.value);
  }
  const reordered = '{"offset":3,"partition":1,"timestamp":5,"key":null,"value":{"b":2}}';
  assert.deepEqual(splitRawLine(reordered), {
    partition: 1,
    offset: 3,
    timestamp: 5,
    keyText: 'null',
    valueText: '{"b":2}',
  });
  assert.throws(() => splitRawLine('{"offset":3}'), SyntaxError);
});
