// BatchDay on the real stack: records ingested for two days, each day through BatchDay, then exact
// S3 objects, exact rows and the batch views' answers for a data set whose answers were worked out
// by hand (test/support/batch-fixtures.ts). Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import pg from 'pg';
import type { PartitionArchive } from '../../domain/batch-archive.ts';
import {
  archiveManifestKey,
  dayPrefix,
  isArchiveManifestKey,
  partitionPrefix,
  partName,
  rawPartitionPrefix,
  zoneKey,
} from '../../domain/batch-keys.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { cleanRecord, ENTITY } from '../../domain/entities.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';
import { REASONS } from '../../activities/batch/clean-lines.ts';
import {
  DAY_1,
  DAY_2,
  DAY_2_ALL_REJECTED_OBJECTS,
  DAY_2_COUNTS,
  DAY_2_REJECTED_OBJECTS,
  EXPECTED_VIEWS,
  fixtureMessages,
  RAW_COUNTS,
} from '../support/batch-fixtures.ts';
import { createBatchHarness, type BatchHarness } from '../support/batch-harness.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const RECORDS_PER_OBJECT = 2;
// The views must not depend on the session's time zone: the years are UTC years.
const FAR_TIME_ZONE = '?options=-c%20TimeZone%3DPacific%2FKiritimati';

const parts = (records: number) =>
  Array.from({ length: Math.ceil(records / RECORDS_PER_OBJECT) }, (_, i) => i);

function expectedRawKeys(root: string): string[] {
  return [DAY_1, DAY_2].flatMap((day) =>
    ENTITIES.flatMap((entity) =>
      RAW_COUNTS[day]![entity].flatMap((count, partition) =>
        parts(count).map((part) => rawPartitionPrefix(root, entity, day, partition) + partName(part)),
      ),
    ),
  );
}

function rejectReason(entity: Entity, value: unknown): string {
  const result = cleanRecord(entity, value);
  assert.ok(!result.ok);
  return result.reason;
}

function compareRows(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as string | number, b[i] as string | number];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

async function viewRows(h: BatchHarness, view: string): Promise<unknown[][]> {
  const { rows } = await h.clients.pool.query<unknown[]>({
    text: `SELECT * FROM ${pg.escapeIdentifier(h.config.BATCH_VIEWS_SCHEMA)}.${pg.escapeIdentifier(view)}`,
    rowMode: 'array',
  });
  // bigint comes back as text
  return rows
    .map((r) => r.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)))
    .sort(compareRows);
}

describe('BatchDay', () => {
  let h: BatchHarness;
  const reports: Record<string, BatchDayReport> = {};

  before(async () => {
    h = await createBatchHarness({
      BATCH_OBJECT_RECORDS: String(RECORDS_PER_OBJECT),
      DATABASE_URL: `${process.env.DATABASE_URL ?? 'postgres://pinpipe:pinpipe@localhost:5432/pinpipe'}${FAR_TIME_ZONE}`,
    });
    await h.produce(fixtureMessages());
    await h.startWorkers();
  });

  after(async () => {
    await h?.close();
  });

  test('two days in: exact raw and cleaned objects, counts, rows and report', async () => {
    reports[DAY_1] = await h.runDay(DAY_1);
    reports[DAY_2] = await h.runDay(DAY_2);
    const root = h.config.BATCH_S3_PREFIX;

    const snapshot = await h.snapshotS3();
    const keys = Object.keys(snapshot).filter((k) => !isArchiveManifestKey(k));
    assert.deepEqual(
      keys.filter((k) => k.startsWith(`${root}raw/`)),
      expectedRawKeys(root).sort(),
    );
    // Each partition's archive of the day names its objects and offsets, written after them.
    for (const day of [DAY_1, DAY_2]) {
      for (const entity of ENTITIES) {
        for (const [partition, count] of RAW_COUNTS[day]![entity].entries()) {
          const key = archiveManifestKey(root, entity, day, partition);
          const manifest = JSON.parse((await h.readText(key)) ?? 'null') as PartitionArchive;
          assert.equal(manifest.records, count, key);
          assert.deepEqual(
            manifest.objects.map((o) => o.key),
            parts(count).map((part) => rawPartitionPrefix(root, entity, day, partition) + partName(part)),
          );
          const exported = reports[day]!.entities[entity].exported.partitions[partition]!;
          assert.deepEqual(
            [manifest.startOffset, manifest.endOffset],
            [exported.startOffset, exported.endOffset],
          );
        }
      }
    }
    for (const day of [DAY_1, DAY_2]) {
      for (const entity of ENTITIES) {
        const exported = reports[day]!.entities[entity].exported.partitions.map((p) => p.records);
        assert.deepEqual(exported, RAW_COUNTS[day]![entity], `${day} ${entity} records per partition`);
      }
    }
    const lastPin = rawPartitionPrefix(root, 'pin', DAY_2, 2) + partName(2);
    assert.equal((await h.readLines(lastPin)).length, 2);

    // Each cleaned or rejected object mirrors its raw object; empty ones are not written.
    const rawKeys = expectedRawKeys(root);
    const has = (list: [number, number][], key: string) =>
      list.some(([partition, part]) => key.includes(`/partition=${partition}/${partName(part)}`));
    const entityOf = (key: string) => ENTITIES.find((e) => key.includes(`/entity=${e}/`))!;
    const onDay2 = (key: string) => key.includes(`/dt=${DAY_2}/`);
    const expectedCleaned = rawKeys
      .filter((k) => !(onDay2(k) && has(DAY_2_ALL_REJECTED_OBJECTS[entityOf(k)], k)))
      .map((k) => zoneKey(root, k, 'cleaned'));
    const expectedRejected = rawKeys
      .filter((k) => onDay2(k) && has(DAY_2_REJECTED_OBJECTS[entityOf(k)], k))
      .map((k) => zoneKey(root, k, 'rejected'));
    // latest/ per unit (a Kafka partition): as many posts as the partition's rows in PostgreSQL (each
    // post's events share one partition, and nothing in these days is refused at the load).
    const rowsPerPartition = async (day: string, entity: Entity) => {
      const table = `${pg.escapeIdentifier(h.config.BATCH_SCHEMA)}.${pg.escapeIdentifier(ENTITY[entity].table)}`;
      const { rows } = await h.clients.pool.query<{ p: number; n: number }>(
        `SELECT source_partition AS p, count(*)::int AS n FROM ${table} WHERE dt = $1 GROUP BY 1 ORDER BY 1`,
        [day],
      );
      return rows;
    };
    const expectedLatest: string[] = [];
    for (const day of [DAY_1, DAY_2]) {
      for (const e of ENTITIES) {
        const perPartition = await rowsPerPartition(day, e);
        assert.equal(
          perPartition.reduce((n, r) => n + r.n, 0),
          day === DAY_1 ? 8 : DAY_2_COUNTS[e].rows,
        );
        for (const { p, n } of perPartition) {
          expectedLatest.push(
            ...parts(n).map((part) => partitionPrefix(root, 'latest', e, day, p) + partName(part)),
          );
        }
      }
    }
    assert.deepEqual(
      keys.filter((k) => !k.startsWith(`${root}raw/`)),
      [...expectedCleaned, ...expectedRejected, ...expectedLatest].sort(),
    );
    const latestPinKeys = expectedLatest.filter((k) => k.includes('/entity=pin/') && onDay2(k));
    const latestPins: { ind: number; follower_count: number; source_partition: number }[] = [];
    for (const key of latestPinKeys) {
      latestPins.push(...(await h.readLines(key)).map((l) => JSON.parse(l) as (typeof latestPins)[number]));
    }
    for (const partition of new Set(latestPins.map((p) => p.source_partition))) {
      const inds = latestPins.filter((p) => p.source_partition === partition).map((p) => p.ind);
      assert.deepEqual(
        inds,
        [...new Set(inds)].sort((a, b) => a - b),
        'a unit holds each post once, in ind order',
      );
    }
    assert.deepEqual(
      latestPins
        .sort((a, b) => a.ind - b.ind)
        .slice(0, 2)
        .map((p) => [p.ind, p.follower_count]),
      [
        [2, 3_000_000],
        [5, 1_500],
      ],
      'latest/ holds each post once, its latest event of the day',
    );
    const cleanedCount = async (day: string, entity: Entity) => {
      const objects = reports[day]!.entities[entity].cleaned.objects;
      const counted = await Promise.all(objects.map(async (o) => (await h.readLines(o.key)).length));
      assert.deepEqual(
        counted,
        objects.map((o) => o.records),
      );
      return counted.reduce((a, b) => a + b, 0);
    };
    for (const entity of ENTITIES) {
      assert.equal(await cleanedCount(DAY_1, entity), 8);
      assert.equal(await cleanedCount(DAY_2, entity), DAY_2_COUNTS[entity].out);
    }

    const day2 = reports[DAY_2]!;
    for (const entity of ENTITIES) {
      const { cleaned: c, loadedRows } = day2.entities[entity];
      const want = DAY_2_COUNTS[entity];
      assert.deepEqual(
        [c.in, c.out, c.rejected.total, loadedRows],
        [want.in, want.out, want.rejected, want.rows],
      );
    }
    assert.deepEqual(day2.entities.pin.cleaned.rejected.byReason, {
      [rejectReason('pin', { ...JSON.parse(String(fixtureMessages()[0]!.value)), follower_count: '12q' })]: 1,
      [rejectReason('pin', null)]: 1,
    });
    assert.deepEqual(Object.keys(day2.entities.geo.cleaned.rejected.byReason), [
      rejectReason('geo', {
        ind: 15,
        timestamp: '2021-09-09 12:00:00',
        latitude: 200,
        longitude: 0,
        country: 'X',
      }),
    ]);
    assert.deepEqual(day2.entities.user.cleaned.rejected.byReason, { [REASONS.notJson]: 1 });
    assert.equal(day2.totals.exported, 24);
    assert.equal(day2.dayComplete, true, 'a day of 2021 is over');
    assert.equal(day2.source, 'kafka');

    const pool = h.clients.pool;
    const schema = pg.escapeIdentifier(h.config.BATCH_SCHEMA);
    const { rows: pins } = await pool.query(
      `SELECT ind, follower_count::int, category, event_time, source_partition, source_offset::int
       FROM ${schema}.pin WHERE dt = $1 AND ind IN (2, 5) ORDER BY ind`,
      [DAY_2],
    );
    assert.deepEqual(pins, [
      {
        ind: 2,
        follower_count: 3_000_000,
        category: 'art',
        event_time: new Date('2021-03-02T01:20:00Z'),
        source_partition: 2,
        source_offset: 5,
      },
      {
        ind: 5,
        follower_count: 1_500,
        category: 'travel',
        event_time: new Date('2021-03-02T01:22:00Z'),
        source_partition: 2,
        source_offset: 7,
      },
    ]);
    const { rows: counts } = await pool.query(
      `SELECT dt::text, status, rows_loaded, records_exported::int, records_rejected::int,
              (SELECT count(*)::int FROM ${schema}.pin p WHERE p.dt = d.dt) AS pins
       FROM ${schema}.days d ORDER BY dt`,
    );
    assert.deepEqual(counts, [
      { dt: DAY_1, status: 'succeeded', rows_loaded: 24, records_exported: 24, records_rejected: 0, pins: 8 },
      { dt: DAY_2, status: 'succeeded', rows_loaded: 19, records_exported: 24, records_rejected: 4, pins: 7 },
    ]);
    const { rows: geo } = await pool.query(
      `SELECT coordinates, "timestamp" FROM ${schema}.geo WHERE dt = $1 AND ind = 11`,
      [DAY_2],
    );
    assert.deepEqual(geo, [{ coordinates: [10.5, -20.25], timestamp: new Date('2018-12-31T23:59:59Z') }]);
  });

  test('the batch views give the answers worked out by hand', async () => {
    for (const [view, expected] of Object.entries(EXPECTED_VIEWS)) {
      assert.deepEqual(await viewRows(h, view), expected, view);
    }
    assert.deepEqual(reports[DAY_2]?.views.top_country_by_poster_followers, 1);
  });

  test('the runs are findable by day and outcome', async () => {
    const description = await h.client.workflow.getHandle(h.dayWorkflowId(DAY_2)).describe();
    const attributes = description.searchAttributes as Record<string, unknown[]>;
    assert.deepEqual(attributes.BatchDate, [DAY_2]);
    assert.deepEqual(attributes.BatchOutcome, ['succeeded']);
  });

  test('running the days again reuses their archive and leaves S3 and PostgreSQL the same', async () => {
    const root = h.config.BATCH_S3_PREFIX;
    const s3Before = await h.snapshotS3();
    const tablesBefore = await h.snapshotTables();
    // Objects a re-run would not write: left by an earlier, larger run or by hand.
    const strays = [
      dayPrefix(root, 'cleaned', 'pin', DAY_2) + `partition=1/${partName(9)}`,
      dayPrefix(root, 'cleaned', 'geo', DAY_2) + `partition=0/${partName(1)}`,
      rawPartitionPrefix(root, 'geo', DAY_2, 0) + partName(7),
      rawPartitionPrefix(root, 'user', DAY_2, 5) + partName(0),
      dayPrefix(root, 'rejected', 'geo', DAY_1) + `partition=0/${partName(0)}`,
    ];
    for (const Key of strays) {
      await h.clients.s3.send(new PutObjectCommand({ Bucket: h.config.S3_BUCKET, Key, Body: 'stray' }));
    }
    const again = [
      await h.runDay(DAY_2, `${h.dayWorkflowId(DAY_2)}-again`),
      await h.runDay(DAY_1, `${h.dayWorkflowId(DAY_1)}-again`),
    ];
    // Both days were over and archived: the runs read the archive, not Kafka.
    assert.deepEqual(
      again.map((r) => r.source),
      ['archive', 'archive'],
    );
    const after = await h.snapshotS3();
    // The raw zone is the archive: a run adds to it, never deletes from it (objects a manifest does
    // not name are not read either). The other zones are rewritten whole.
    for (const key of strays.filter((k) => k.startsWith(`${root}raw/`))) {
      assert.ok(key in after, `${key} is left in the raw zone`);
      delete after[key];
    }
    assert.deepEqual(after, s3Before);
    assert.deepEqual(await h.snapshotTables(), tablesBefore);
  });

  test('a date that is not a day fails at once, without retries', async () => {
    await assert.rejects(h.runDay('2031-02-30'), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.equal((err.cause as { type?: string }).type, FAILURES.BatchInvalidDay);
      return true;
    });
  });
});
