import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { forEachGzipLine, GzipJsonlObjects, isCorruptGzip } from '../../activities/batch/gzip-jsonl.ts';

async function writeAll(lines: string[], maxRecords: number, flushEvery: number) {
  const bodies = new Map<string, Buffer>();
  const writer = new GzipJsonlObjects({
    maxRecords,
    keyOf: (part) => `part-${part}`,
    upload: async (key, body) => bodies.set(key, body),
  });
  const completed: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (i % 3 === 0) {
      if (writer.write(line)) completed.push(i);
    } else {
      const [head, bytes] = [line.slice(0, 2), Buffer.from(line.slice(2))];
      if (writer.writeParts(head, bytes, '')) completed.push(i);
    }
    if (i % flushEvery === 0) await writer.flush();
  }
  const objects = await writer.close();
  return { objects, bodies, completed };
}

const LINES = Array.from({ length: 25 }, (_, i) =>
  JSON.stringify({ i, text: `ünïcødé ${'x'.repeat(i * 997)}` }),
);

test('lines go into gzip objects of maxRecords lines, named in order', async () => {
  const { objects, bodies, completed } = await writeAll(LINES, 10, 1);
  assert.deepEqual(
    objects.map((o) => [o.key, o.records]),
    [
      ['part-0', 10],
      ['part-1', 10],
      ['part-2', 5],
    ],
  );
  assert.deepEqual(completed, [9, 19]);
  const text = [...bodies.values()].map((b) => gunzipSync(b).toString('utf8')).join('');
  assert.equal(text, LINES.map((l) => `${l}\n`).join(''));
  for (const o of objects) assert.equal(o.bytes, bodies.get(o.key)?.length);
});

test('the same lines make the same bytes however they were written, with no time in the header', async () => {
  const a = await writeAll(LINES, 10, 1);
  const b = await writeAll(LINES, 10, 7);
  assert.deepEqual(b.bodies, a.bodies);
  const header = a.bodies.get('part-0')!.subarray(4, 8);
  assert.deepEqual([...header], [0, 0, 0, 0], 'gzip MTIME is zero');
});

test('no lines, no objects', async () => {
  assert.deepEqual((await writeAll([], 10, 1)).objects, []);
});

test('forEachGzipLine gives the lines back, characters split across chunks included', async () => {
  const text = LINES.join('\n');
  const gz = gzipSync(text);
  const chunks = Array.from({ length: Math.ceil(gz.length / 7) }, (_, i) => gz.subarray(i * 7, i * 7 + 7));
  const seen: string[] = [];
  let afterChunks = 0;
  const count = await forEachGzipLine(
    Readable.from(chunks),
    (l) => seen.push(l),
    async () => {
      afterChunks++;
    },
  );
  assert.equal(count, LINES.length);
  assert.deepEqual(seen, LINES);
  assert.ok(afterChunks > 0);
});

test('a truncated or foreign file is reported as corrupt gzip', async () => {
  const gz = gzipSync(LINES.join('\n'));
  for (const body of [gz.subarray(0, gz.length - 20), Buffer.from('plain text')]) {
    await assert.rejects(
      forEachGzipLine(Readable.from([body]), () => undefined),
      (err: unknown) => isCorruptGzip(err),
    );
  }
});
