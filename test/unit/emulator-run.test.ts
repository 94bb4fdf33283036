import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Entity } from '../../domain/wire.ts';
import { createGenerator } from '../../emulator/generator.ts';
import type { PostResult } from '../../emulator/ingest-client.ts';
import {
  MAX_RETRIES,
  MissingPostError,
  ORIGINAL_MAX_SLEEP_MS,
  runEmulator,
  type EmulatorDeps,
} from '../../emulator/run.ts';
import type { SourceRecord } from '../../emulator/source-records.ts';
import { formatSummary } from '../../emulator/stats.ts';

const POSTS = 50;
const generator = createGenerator({ seed: 1, posts: POSTS });

/** A source of POSTS generated posts that remembers which inds were read. */
function fakeSource() {
  const reads: number[] = [];
  return {
    reads,
    source: {
      seedInfo: async () => ({ seed: 1, posts: POSTS, generatedAt: new Date(0) }),
      readPost: async (ind: number) => {
        reads.push(ind);
        return generator.post(ind);
      },
    },
  };
}

/** A clock that moves only when the emulator sleeps (or a fake request takes time). */
function fakeClock() {
  const clock = { t: 0, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
}

type Sent = { entity: Entity; record: SourceRecord };

/** A post function answering from a script (then `otherwise`), recording what it was sent. */
function fakePost(script: PostResult[] = [], otherwise: PostResult = { status: 'accepted' }) {
  const sent: Sent[] = [];
  const post = async (entity: Entity, record: SourceRecord): Promise<PostResult> => {
    sent.push({ entity, record });
    return script.shift() ?? otherwise;
  };
  return { sent, post };
}

function deps(overrides: Partial<EmulatorDeps> = {}): EmulatorDeps {
  const { now, sleep } = fakeClock();
  return { source: fakeSource().source, post: fakePost().post, now, sleep, ...overrides };
}

test('stops at --count, sending pin, geo and user of each post as stored', async () => {
  const { source, reads } = fakeSource();
  const { post, sent } = fakePost();
  const summary = await runEmulator({ seed: 1, count: 7, concurrency: 1 }, deps({ source, post }));
  assert.equal(summary.posts, 7);
  assert.equal(summary.stoppedBy, 'count');
  assert.equal(reads.length, 7);
  assert.ok(reads.every((ind) => ind >= 0 && ind < POSTS));
  assert.deepEqual(
    sent,
    reads.flatMap((ind) => {
      const { pin, geo, user } = generator.post(ind);
      return [
        { entity: 'pin', record: pin },
        { entity: 'geo', record: geo },
        { entity: 'user', record: user },
      ];
    }),
  );
  assert.deepEqual(
    { sent: summary.sent, accepted: summary.accepted, rejected: summary.rejected, errors: summary.errors },
    { sent: 21, accepted: 21, rejected: 0, errors: 0 },
  );
  assert.deepEqual(summary.entities.user, { sent: 7, accepted: 7, rejected: 0, errors: 0 });
});

test('parallel loops together send exactly --count posts', async () => {
  const { source, reads } = fakeSource();
  const { post, sent } = fakePost();
  const summary = await runEmulator({ seed: 1, count: 25, concurrency: 4 }, deps({ source, post }));
  assert.equal(summary.posts, 25);
  assert.equal(reads.length, 25);
  assert.equal(summary.sent, 75);
  for (const entity of ['pin', 'geo', 'user'] as const) {
    assert.equal(sent.filter((s) => s.entity === entity).length, 25);
  }
});

test('counts accepted, rejected and errors per entity', async () => {
  const { post } = fakePost([
    { status: 'accepted' },
    { status: 'rejected', detail: '422 {"fields":["latitude"]}' },
    { status: 'error', detail: 'HTTP 500' },
    { status: 'rejected', detail: '400 {"fields":["index"]}' },
  ]);
  const s = await runEmulator({ seed: 1, count: 2, concurrency: 1 }, deps({ post }));
  assert.deepEqual(
    { sent: s.sent, accepted: s.accepted, rejected: s.rejected, errors: s.errors, retries: s.retries },
    { sent: 6, accepted: 3, rejected: 2, errors: 1, retries: 0 },
  );
  assert.deepEqual(s.entities.geo, { sent: 2, accepted: 1, rejected: 1, errors: 0 });
  assert.deepEqual(s.entities.user, { sent: 2, accepted: 1, rejected: 0, errors: 1 });
  assert.deepEqual(s.entities.pin, { sent: 2, accepted: 1, rejected: 1, errors: 0 });
  assert.equal(s.lastRejection, 'pin: 400 {"fields":["index"]}');
  assert.equal(s.lastError, 'user: HTTP 500');
});

test('503 is retried after the Retry-After hint and counted', async () => {
  const { now, sleep, clock } = fakeClock();
  const { post, sent } = fakePost([
    { status: 'unavailable', retryAfterMs: 2_000 },
    { status: 'unavailable' },
    { status: 'accepted' },
  ]);
  const s = await runEmulator({ seed: 1, count: 1, concurrency: 1 }, deps({ post, now, sleep }));
  assert.equal(sent.length, 5, 'the pin three times, then geo and user');
  assert.equal(s.retries, 2);
  assert.equal(s.accepted, 3);
  assert.equal(s.errors, 0);
  assert.deepEqual(clock.sleeps.slice(0, 2), [2_000, 1_000], 'the hint, then a default of 1 s');
});

test('a record still unavailable after the bounded retries is an error', async () => {
  const { post, sent } = fakePost([], { status: 'unavailable', retryAfterMs: 5 });
  const s = await runEmulator({ seed: 1, count: 1, concurrency: 1 }, deps({ post }));
  assert.equal(s.retries, 3 * MAX_RETRIES);
  assert.equal(s.errors, 3);
  assert.equal(sent.length, 3 * (MAX_RETRIES + 1));
  assert.equal(s.lastError, 'user: unavailable');
});

test('401 stops every loop: counted as an error, stopped by unauthorized', async () => {
  const { post, sent } = fakePost([], { status: 'unauthorized' });
  const s = await runEmulator({ seed: 1, count: 100, concurrency: 4 }, deps({ post }));
  assert.equal(s.stoppedBy, 'unauthorized');
  assert.ok(sent.length <= 4, `one request per loop at most, got ${sent.length}`);
  assert.equal(s.errors, sent.length);
  assert.equal(s.posts, 0);
});

test('an aborted signal stops the run after the in-flight post', async () => {
  const controller = new AbortController();
  const { post: accept, sent } = fakePost();
  const post = async (entity: Entity, record: SourceRecord) => {
    if (sent.length === 4) controller.abort(); // Ctrl-C in the middle of the second post
    return accept(entity, record);
  };
  const s = await runEmulator({ seed: 1, concurrency: 1 }, deps({ post, signal: controller.signal }));
  assert.equal(s.stoppedBy, 'signal');
  assert.equal(s.posts, 2, 'the second post still goes out whole');
  assert.equal(sent.length, 6);
});

test('an already aborted signal sends nothing', async () => {
  const { post, sent } = fakePost();
  const s = await runEmulator({ seed: 1, concurrency: 2 }, deps({ post, signal: AbortSignal.abort() }));
  assert.equal(sent.length, 0);
  assert.equal(s.stoppedBy, 'signal');
});

test('by default each loop sleeps a random 0-2 s after a post, and --duration ends the run', async () => {
  const { now, sleep, clock } = fakeClock();
  const s = await runEmulator({ seed: 5, duration: 60, concurrency: 1 }, deps({ now, sleep }));
  assert.equal(s.stoppedBy, 'duration');
  assert.equal(clock.t, 60_000, 'the last sleep is cut at the deadline');
  assert.equal(s.durationSeconds, 60);
  const sleeps = clock.sleeps.slice(0, -1);
  assert.ok(sleeps.every((ms) => ms >= 0 && ms < ORIGINAL_MAX_SLEEP_MS));
  assert.ok(s.posts > 40 && s.posts < 80, `about one post a second, got ${s.posts}`);
  assert.equal(s.posts, clock.sleeps.length);
});

test('--rate spaces the posts evenly', async () => {
  const { now, sleep, clock } = fakeClock();
  const s = await runEmulator({ seed: 1, rate: 30, count: 10, concurrency: 1 }, deps({ now, sleep }));
  assert.equal(s.posts, 10);
  assert.deepEqual(clock.sleeps, [0, ...Array(9).fill(100)], '30 records/s = 10 posts/s');
  assert.equal(s.recordsPerSecond, 33.3, '30 records in 0.9 s');
});

test('the same seed picks the same posts and sleeps; another seed others', async () => {
  const run = async (seed: number) => {
    const { source, reads } = fakeSource();
    const { now, sleep, clock } = fakeClock();
    await runEmulator({ seed, count: 20, concurrency: 1 }, deps({ source, now, sleep }));
    return { reads, sleeps: clock.sleeps };
  };
  assert.deepEqual(await run(11), await run(11));
  assert.notDeepEqual((await run(11)).reads, (await run(12)).reads);
});

test('a post missing from the source fails the run with a clear error', async () => {
  const { source } = fakeSource();
  const empty = { ...source, readPost: async () => undefined };
  await assert.rejects(
    runEmulator({ seed: 1, count: 3, concurrency: 2 }, deps({ source: empty })),
    MissingPostError,
  );
});

test('--rate without --concurrency starts the loops the rate needs; with --concurrency 1 it falls behind', async () => {
  // Real time here: each request takes 20 ms, so one loop (3 requests a post) delivers at most
  // 50 records/s; 300 records/s needs about 6 loops.
  const slowPost = async () => {
    await delay(20);
    return { status: 'accepted' } as const;
  };
  const real = { source: fakeSource().source, post: slowPost };
  const fixed = await runEmulator({ seed: 1, rate: 300, duration: 2, concurrency: 1 }, real);
  assert.equal(fixed.loops, 1);
  assert.ok(fixed.recordsPerSecond < 60, `one loop: at most 50 records/s, got ${fixed.recordsPerSecond}`);
  assert.match(formatSummary(fixed), /warning: behind --rate 300: .* give --concurrency \d+/);

  const auto = await runEmulator({ seed: 1, rate: 300, duration: 2 }, real);
  assert.ok(auto.loops >= 6 && auto.loops <= 20, `about 6 loops, got ${auto.loops}`);
  assert.ok(auto.recordsPerSecond > 200, `close to 300 records/s, got ${auto.recordsPerSecond}`);
  assert.equal(auto.loopsChosen, 'auto');
});
