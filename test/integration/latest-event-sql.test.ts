// The SQL forms of the latest-event rule (domain/latest-event.ts) against PostgreSQL, checked against
// the TypeScript forms on the same events: the views, the load and the serving merge use
// latestEventsSql, the stream's upsert laterEventSql, the batch clean and the micro-batch the
// TypeScript. Events of one post in several partitions (a topic whose partition count changed), equal
// timestamps and clocks going backwards are all drawn.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  isLaterEvent,
  laterEventSql,
  latestEventsSql,
  latestPerPost,
  type EventPosition,
} from '../../domain/latest-event.ts';
import { seededRandom } from '../../domain/seeded-random.ts';
import { loadConfig } from '../../infra/config.ts';
import { createPool, withTransaction, type Pool } from '../../infra/db.ts';

interface Event extends EventPosition {
  ind: number;
  id: number;
}

function drawEvents(seed: number, count: number): Event[] {
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  const base = Date.parse('2026-11-21T00:00:00Z');
  const nextOffset = new Map<number, number>();
  return Array.from({ length: count }, (_, id) => {
    const partition = pick(3);
    // Offsets grow per partition; timestamps are few and jump around, so ties and reversals are common.
    const offset = (nextOffset.get(partition) ?? pick(5)) + 1 + pick(3);
    nextOffset.set(partition, offset);
    return { id, ind: pick(40), partition, offset, time: base + pick(6) * 1_000 };
  });
}

let pool: Pool;
before(() => {
  pool = createPool(loadConfig({}));
});
after(() => pool.end());

/** The events in a temporary table `events`, as the layers' tables carry a position. */
async function withEvents<T>(events: Event[], fn: (query: (sql: string) => Promise<number[]>) => Promise<T>) {
  return withTransaction(pool, async (client) => {
    await client.query(
      `CREATE TEMP TABLE events ON COMMIT DROP AS
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS e(id integer, ind integer, source_partition integer, source_offset bigint, event_time timestamptz)`,
      [
        JSON.stringify(
          events.map((e) => ({
            id: e.id,
            ind: e.ind,
            source_partition: e.partition,
            source_offset: e.offset,
            event_time: new Date(e.time).toISOString(),
          })),
        ),
      ],
    );
    return fn(async (sql) => (await client.query<{ id: number }>(sql)).rows.map((r) => r.id));
  });
}

test('latestEventsSql picks, for every post, the event latestPerPost picks', async () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const events = drawEvents(seed, 400);
    const expected = latestPerPost(events, (e) => e.ind)
      .map((e) => e.id)
      .sort((a, b) => a - b);
    const got = await withEvents(events, (query) =>
      query(`SELECT id FROM (${latestEventsSql('events')}) l ORDER BY id`),
    );
    assert.equal(new Set(events.map((e) => e.ind)).size, expected.length);
    assert.deepStrictEqual(got, expected, `seed ${seed}`);
  }
});

test('laterEventSql agrees with isLaterEvent on every pair of one post', async () => {
  const events = drawEvents(7, 150).map((e) => ({ ...e, ind: e.ind % 5 }));
  const expected = events
    .flatMap((a) =>
      events.filter((b) => a.ind === b.ind && isLaterEvent(a, b)).map((b) => a.id * 1_000 + b.id),
    )
    .sort((x, y) => x - y);
  const got = await withEvents(events, (query) =>
    query(
      `SELECT a.id * 1000 + b.id AS id FROM events a JOIN events b USING (ind)
       WHERE ${laterEventSql('a', 'b')} ORDER BY 1`,
    ),
  );
  assert.ok(expected.length > 1_000, 'enough pairs to mean something');
  assert.deepStrictEqual(got, expected);
});
