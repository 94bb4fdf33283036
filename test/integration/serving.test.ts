// The serving layer end to end on the real stack: emulator → ingest API → Kafka → both layers (the
// streams on a real worker, one batch day for today run in the middle) → PostgreSQL → the serving
// endpoints over HTTP. Each merged answer must equal the answer worked out in JavaScript over every
// record the emulator had acknowledged, with no post counted twice at the seam and none missing.
// Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import type {
  AgeGroupsAnswer,
  CategoriesAnswer,
  FollowerMediansAnswer,
  PipelineStatus,
  PostsPerCountryAnswer,
  PostsPerMinuteAnswer,
  Sources,
  TopPostersAnswer,
  UsersJoinedAnswer,
} from '../../api/serving/contract.ts';
import { createIngestService } from '../../api/service.ts';
import { SNAPSHOT_MAX_AGE_MS } from '../../api/serving/index.ts';
import { createPipelineStatus } from '../../api/serving/pipeline.ts';
import { dayBounds, utcDay, type BatchDay } from '../../domain/batch-keys.ts';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { stopSignal, streamName } from '../../domain/stream-wire.ts';
import { batchScheduleOptions } from '../../workers/batch-schedule.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';
import { acknowledged, emulate, type SentRecord } from '../support/emulator-run.ts';
import { createEmulatorSource, type EmulatorSource } from '../support/emulator-source.ts';
import { request } from '../support/http.ts';
import { freePort } from '../support/net.ts';
import { canonical, expectedAnswers, type ExpectedAnswers } from '../support/serving-expected.ts';
import { createServingPipeline, SERVING_API_KEY, type ServingPipeline } from '../support/serving-pipeline.ts';
import { waitFor } from '../support/wait.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const SOURCE = { seed: 20_261_123, posts: 300 };
// 150 random posts of 300 on each side of the seam: many are sent on both sides, some twice in a part.
const PART_1 = { seed: 1, count: 150, concurrency: 4, rate: 1_500 };
const PART_2 = { seed: 2, count: 150, concurrency: 4, rate: 1_500 };
/** Pins the API accepts and the cleaning rejects (the prefix without a path): both layers drop them. */
const UNCLEAN_PIN = (ind: number) => ind % 25 === 0;
/** A batch day for today must cover part one: no run starts this close to midnight UTC. */
const MIDNIGHT_MARGIN_MS = 3 * 60_000;

const countBy = (sent: readonly SentRecord[]) =>
  Object.fromEntries(ENTITIES.map((e) => [e, sent.filter((s) => s.entity === e).length])) as Record<
    Entity,
    number
  >;
const uncleanPins = (sent: readonly SentRecord[]) =>
  sent.filter((s) => s.entity === 'pin' && UNCLEAN_PIN(s.ind)).length;

async function awayFromMidnight(): Promise<BatchDay> {
  const untilMidnight = dayBounds(utcDay(Date.now())).end - Date.now();
  if (untilMidnight < MIDNIGHT_MARGIN_MS) await sleep(untilMidnight + 1_000);
  return utcDay(Date.now());
}

describe('serving over the batch and the speed layer', () => {
  let source: EmulatorSource;
  let p: ServingPipeline;
  let today: BatchDay;
  let report: BatchDayReport;
  const parts: SentRecord[][] = [];

  async function get<T>(path: string): Promise<T> {
    const res = await request(`${p.url}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res.body as T;
  }

  async function send(options: typeof PART_1): Promise<SentRecord[]> {
    const run = await emulate(options, { source: source.reader, baseUrl: p.url, apiKey: SERVING_API_KEY });
    assert.equal(run.summary.errors, 0, run.summary.lastError);
    assert.equal(run.summary.rejected, 0, run.summary.lastRejection);
    const acked = acknowledged(run.sent);
    parts.push(acked);
    return acked;
  }

  /** Every analytics endpoint, each against its expected answer; returns the sources they agree on. */
  async function assertAnswers(expected: ExpectedAnswers, settledAt: number): Promise<Sources> {
    // Answers are cached for up to 2 s: wait for one computed after the data settled.
    const categories = await waitFor(
      'an analytics snapshot newer than the last records',
      async () => {
        const body = await get<CategoriesAnswer>('/v1/analytics/categories?by=overall');
        return Date.parse(body.sources.generatedAt) > settledAt ? body : undefined;
      },
      10_000,
    );
    const { sources } = categories;
    // The cache may expire between two requests: a newer snapshot of the same data has the same counts.
    const same = (answer: { sources: Sources }, what: string) =>
      assert.deepEqual(
        { ...answer.sources, generatedAt: undefined },
        { ...sources, generatedAt: undefined },
        `${what}: the same sources`,
      );

    assert.deepEqual(canonical(categories.rows), expected.categories, 'categories overall');
    const overall = categories.rows.map((r) => r.category_count);
    assert.deepEqual(
      overall,
      [...overall].sort((a, b) => b - a),
      'most posts first',
    );
    for (const by of ['country', 'year', 'age_group'] as const) {
      const answer = await get<CategoriesAnswer>(`/v1/analytics/categories?by=${by}`);
      same(answer, `categories by ${by}`);
      assert.deepEqual(canonical(answer.rows), expected.categoriesBy[by], `categories by ${by}`);
    }

    const perCountry = await get<PostsPerCountryAnswer>('/v1/analytics/posts-per-country?limit=1000');
    same(perCountry, 'posts per country');
    assert.deepEqual(canonical(perCountry.rows), expected.postsPerCountry, 'posts per country');
    const top3 = await get<PostsPerCountryAnswer>('/v1/analytics/posts-per-country?limit=3');
    assert.deepEqual(top3.rows, perCountry.rows.slice(0, 3), 'limit: the first rows, most posts first');

    const ageGroups = await get<AgeGroupsAnswer>('/v1/analytics/age-groups');
    same(ageGroups, 'age groups');
    assert.deepEqual(canonical(ageGroups.rows), expected.ageGroups, 'posts and median per age group');

    const top = await get<TopPostersAnswer>('/v1/analytics/top-posters');
    same(top, 'top posters');
    assert.deepEqual(canonical(top.byCountry), expected.topPosters.byCountry, 'top poster per country');
    assert.deepEqual(top.topCountry, expected.topPosters.topCountry, 'country of the top poster');

    const joined = await get<UsersJoinedAnswer>('/v1/analytics/users-joined');
    same(joined, 'users joined');
    assert.deepEqual(canonical(joined.rows), expected.usersJoined, 'users joined per year');

    for (const by of ['age_group', 'join_year', 'age_group_join_year'] as const) {
      const medians = await get<FollowerMediansAnswer>(`/v1/analytics/follower-medians?by=${by}`);
      same(medians, `medians by ${by}`);
      assert.deepEqual(canonical(medians.rows), expected.medians[by], `median follower count by ${by}`);
    }

    const counted = categories.rows.reduce((n, r) => n + r.category_count, 0);
    assert.equal(counted, expected.posts.size, 'every post once, none missing');
    assert.equal(sources.batch.posts + sources.speed.posts, expected.posts.size, 'no post on both sides');
    return sources;
  }

  before(async () => {
    source = await createEmulatorSource(SOURCE);
    for (let ind = 0; ind < SOURCE.posts; ind++) {
      if (UNCLEAN_PIN(ind)) await source.update('pin', ind, { save_location: 'Local save in ' });
    }
    p = await createServingPipeline();
  });

  after(async () => {
    await p?.close();
    await source?.close();
  });

  test('part one through both layers, then a batch day for today: the batch layer answers for all', async (t) => {
    today = await awayFromMidnight();
    const part1 = await send(PART_1);
    await p.waitForStreams(countBy(part1));
    report = await p.harness.runDay(today);
    const settled = Date.now();

    assert.equal(report.dayComplete, false, 'today has not ended');
    for (const entity of ENTITIES) {
      assert.equal(report.entities[entity].exported.records, countBy(part1)[entity], `${entity} exported`);
    }
    assert.equal(report.totals.rejected, uncleanPins(part1), 'the batch cleaning rejects the unclean pins');

    const expected = expectedAnswers(part1);
    const sources = await assertAnswers(expected, settled);
    t.diagnostic(
      `part one: ${part1.length} records, ${expected.posts.size} posts in ${expected.postsPerCountry.length} countries`,
    );
    assert.deepEqual(sources.batch, { throughDay: today, posts: expected.posts.size });
    assert.deepEqual(
      sources.speed,
      { since: report.startedAt, posts: 0 },
      'the speed rows are all before the seam',
    );
  });

  test('part two past the seam: the merged answers are those over every record sent', async (t) => {
    const part2 = await send(PART_2);
    const all = [...parts[0]!, ...part2];
    await p.waitForStreams(countBy(all));
    const settled = Date.now();

    const expected = expectedAnswers(all);
    const beforeSeam = expectedAnswers(parts[0]!).posts;
    const pastSeam = expectedAnswers(part2).posts;
    const resent = [...pastSeam].filter((ind) => beforeSeam.has(ind));
    assert.ok(resent.length > 0, 'some posts were sent on both sides of the seam');
    assert.ok(resent.length < pastSeam.size, 'and some only past it');

    const sources = await assertAnswers(expected, settled);
    t.diagnostic(
      `part two: ${part2.length} records, ${pastSeam.size} posts (${resent.length} sent before the seam too); ` +
        `${expected.posts.size} posts in all, ${uncleanPins(all)} unclean pins`,
    );
    assert.deepEqual(sources.batch, { throughDay: today, posts: beforeSeam.size - resent.length });
    assert.deepEqual(sources.speed, { since: report.startedAt, posts: pastSeam.size });
  });

  test('the pipeline endpoints report both layers and the ingest', async () => {
    const all = parts.flat();
    const posts = expectedAnswers(all).posts.size;
    const status = await get<PipelineStatus>('/v1/pipeline/status');
    assert.deepEqual(
      status.streams.map((s) => [s.entity, s.stream, s.lag, s.read, s.deadLettered, s.partitions.length]),
      ENTITIES.map((e) => [
        e,
        streamName(e, p.config.STREAM_ID_PREFIX),
        0,
        countBy(all)[e],
        e === 'pin' ? uncleanPins(all) : 0,
        3,
      ]),
    );
    for (const s of status.streams) assert.match(s.state, /^(running|idle)$/);
    assert.deepEqual(
      status.batchDays.map((d) => [d.dt, d.status, d.recordsExported, d.recordsRejected]),
      [[today, 'succeeded', parts[0]!.length, uncleanPins(parts[0]!)]],
    );
    assert.equal(status.ingest.recordsProduced, all.length);
    assert.equal(status.schedule, null, 'no Schedule registered under BATCH_SCHEDULE_ID yet');

    for (const minutes of [60, 10]) {
      const perMinute = await get<PostsPerMinuteAnswer>(`/v1/pipeline/posts-per-minute?minutes=${minutes}`);
      assert.equal(perMinute.rows.length, minutes);
      const sum = (e: Entity) => perMinute.rows.reduce((n, r) => n + r[e], 0);
      // The speed layer holds each post's latest event once; unclean pins never reach it.
      const inds = (e: Entity) => new Set(all.filter((s) => s.entity === e).map((s) => s.ind)).size;
      assert.deepEqual(
        ENTITIES.map((e) => sum(e)),
        [posts, inds('geo'), inds('user')],
      );
      assert.equal(perMinute.sources.speed.posts, posts);
    }
  });

  test("the pipeline status shows this deployment's Schedule (BATCH_SCHEDULE_ID)", async () => {
    const scheduleId = p.config.BATCH_SCHEDULE_ID;
    // Created paused: it must never start a day on the test's task queue.
    const schedule = await p.harness.client.schedule.create({
      ...batchScheduleOptions({ scheduleId, taskQueue: p.config.PIPELINE_TASK_QUEUE }),
      state: { paused: true, note: 'serving test' },
    });
    try {
      // The status is shared for SNAPSHOT_MAX_AGE_MS: the Schedule shows within that.
      const status = await waitFor(
        'the status to show the Schedule',
        async () => {
          const answer = await get<PipelineStatus>('/v1/pipeline/status');
          return answer.schedule ? answer : undefined;
        },
        SNAPSHOT_MAX_AGE_MS + 3_000,
      );
      assert.deepEqual(status.schedule && [status.schedule.id, status.schedule.paused], [scheduleId, true]);
      assert.ok(status.schedule?.url.endsWith(`/schedules/${encodeURIComponent(scheduleId)}`));
    } finally {
      await schedule.delete();
    }
  });

  test('a stream no worker answers for is shown as not answering, within the deadline', async () => {
    const prefix = `${p.config.STREAM_ID_PREFIX}unpolled-`;
    const handle = await p.harness.client.workflow.start('stream', {
      workflowId: streamName('pin', prefix),
      taskQueue: `${p.config.PIPELINE_TASK_QUEUE}-unpolled`,
      args: [{}],
    });
    // A stop sent while no worker runs waits in the history: the status says so.
    await handle.signal(stopSignal);
    const pipeline = createPipelineStatus({
      pool: p.harness.clients.pool,
      temporal: p.harness.client,
      kafkaAdmin: async () => p.harness.clients.kafkaAdmin,
      topicPrefix: p.config.KAFKA_TOPIC_PREFIX,
      namespace: p.config.TEMPORAL_NAMESPACE,
      uiUrl: p.config.TEMPORAL_UI_URL,
      streamIdPrefix: prefix,
      scheduleId: p.config.BATCH_SCHEDULE_ID,
      schemas: { batch: p.config.BATCH_SCHEMA, speed: p.config.STREAM_SCHEMA },
      recordsProduced: () => Promise.resolve(0),
    });
    try {
      const started = Date.now();
      const status = await pipeline.pipelineStatus();
      assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
      const [pin, geo] = status.streams;
      assert.equal(pin?.state, 'not answering');
      // A stable sentence, not Temporal's text (gRPC codes, addresses).
      assert.equal(pin?.error, 'no worker answered its status query in time: is a worker running?');
      assert.deepEqual(pin?.pendingSignals, ['stop']);
      assert.equal(geo?.state, 'not running');
    } finally {
      await handle.terminate('serving test');
    }
  });

  test('a bad query parameter is a 400 naming it', async () => {
    for (const [path, field] of [
      ['/v1/analytics/categories?by=continent', 'query.by'],
      ['/v1/analytics/posts-per-country?limit=0', 'query.limit'],
      ['/v1/analytics/follower-medians?by=poster', 'query.by'],
      ['/v1/pipeline/posts-per-minute?minutes=100000', 'query.minutes'],
    ] as const) {
      const res = await request(`${p.url}${path}`);
      assert.equal(res.status, 400, path);
      const body = res.body as { error: string; issues: { path: string }[] };
      assert.equal(body.error, 'validation_failed', path);
      assert.deepEqual(
        body.issues.map((i) => i.path),
        [field],
        path,
      );
    }
  });

  test('with PostgreSQL unreachable, the serving endpoints answer 503 store_unavailable', async () => {
    const closed = `postgres://pinpipe:pinpipe@127.0.0.1:${await freePort()}/pinpipe`;
    const service = createIngestService(p.config, pino({ level: 'silent' }), {
      serving: { ...p.config, DATABASE_URL: closed },
    });
    const server = await service.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const path of [
        '/v1/analytics/categories',
        '/v1/analytics/posts-per-country',
        '/v1/analytics/age-groups',
        '/v1/analytics/top-posters',
        '/v1/analytics/users-joined',
        '/v1/analytics/follower-medians',
        '/v1/pipeline/posts-per-minute',
        '/v1/pipeline/status',
      ]) {
        const res = await request(`${url}${path}`);
        assert.equal(res.status, 503, `${path}: ${res.text}`);
        assert.equal((res.body as { error: string }).error, 'store_unavailable', path);
        assert.ok(res.headers.get('retry-after'), `${path}: Retry-After`);
      }
    } finally {
      await service.close();
    }
  });
});
