import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawGeo, RawPin, RawUser } from '../../domain/raw-records.ts';
import {
  createGenerator,
  DEFAULT_GENERATOR_OPTIONS,
  generatePost,
  generatePosts,
  ORIGINAL_POSTS,
} from '../../emulator/generator.ts';
import { CATEGORIES, PLACEHOLDERS, TARGET_RATES } from '../../emulator/sample-profile.ts';
import type { SourcePin } from '../../emulator/source-records.ts';

const posts = [...generatePosts()];
const pins = posts.map((p) => p.pin);
const STORY = 'multi-video(story page format)';

function rate(predicate: (pin: SourcePin) => boolean): number {
  return pins.filter(predicate).length / pins.length;
}

/** Four standard deviations of a rate measured over the default data set, and never under 0.2%. */
function assertNear(actual: number, target: number, what: string): void {
  const tolerance = Math.max(0.002, 4 * Math.sqrt((target * (1 - target)) / pins.length));
  assert.ok(
    Math.abs(actual - target) <= tolerance,
    `${what}: ${actual.toFixed(4)} is not within ${tolerance.toFixed(4)} of ${target.toFixed(4)}`,
  );
}

test('the default data set is the original size, ind 0..11152 in order', () => {
  assert.equal(posts.length, ORIGINAL_POSTS);
  posts.forEach((p, ind) => {
    assert.equal(p.pin.index, ind);
    assert.equal(p.geo.ind, ind);
    assert.equal(p.user.ind, ind);
  });
});

test('the same seed gives the same rows; another seed gives other rows', () => {
  assert.deepEqual([...generatePosts()], posts);
  const other = [...generatePosts({ ...DEFAULT_GENERATOR_OPTIONS, seed: 2 })];
  assert.notDeepEqual(other[0], posts[0]);
  assert.ok(other.filter((p, i) => p.pin.unique_id === posts[i]!.pin.unique_id).length === 0);
});

test('any post or chunk generated alone equals the same posts of a full run', () => {
  assert.deepEqual(generatePost(5000), posts[5000]);
  assert.deepEqual([...createGenerator().posts(7000, 7010)], posts.slice(7000, 7010));
  const reversed = createGenerator();
  for (const ind of [11152, 42, 5000, 0]) assert.deepEqual(reversed.post(ind), posts[ind]);
});

test('every row passes the raw schemas', () => {
  for (const { pin, geo, user } of posts) {
    assert.ok(RawPin.safeParse(pin).success, `pin ${pin.index}`);
    assert.ok(RawGeo.safeParse(geo).success, `geo ${geo.ind}`);
    assert.ok(RawUser.safeParse(user).success, `user ${user.ind}`);
  }
});

test('every dirty pattern of the real data is present', () => {
  const values = (field: keyof SourcePin) => new Set(pins.map((p) => p[field]));
  assert.ok(values('title').has(PLACEHOLDERS.titleUnavailable));
  assert.ok(values('title').has(''));
  assert.ok(values('description').has(PLACEHOLDERS.descriptionStoryFormat));
  assert.ok(values('description').has(PLACEHOLDERS.descriptionUnavailable));
  assert.ok(values('poster_name').has(PLACEHOLDERS.userInfoError));
  assert.ok(values('follower_count').has(PLACEHOLDERS.userInfoError));
  assert.ok(values('tag_list').has(PLACEHOLDERS.tagsUnavailable));
  assert.ok(values('image_src').has(PLACEHOLDERS.imageSrcError));
  assert.ok(
    pins.some((p) => p.description.endsWith('\u2026\u00a0')),
    'scraper truncation',
  );
  assert.ok(
    pins.some((p) => /^\d+k$/.test(p.follower_count)) && pins.some((p) => /^\d+M$/.test(p.follower_count)),
  );
});

test('dirty values come at the rates measured on the real sample', () => {
  assertNear(
    rate((p) => p.title === PLACEHOLDERS.titleUnavailable),
    TARGET_RATES.titleUnavailable,
    'no title',
  );
  assertNear(
    rate((p) => p.title === ''),
    TARGET_RATES.titleEmpty,
    'empty title',
  );
  assertNear(
    rate((p) => p.description === PLACEHOLDERS.descriptionStoryFormat),
    TARGET_RATES.descriptionStoryFormat,
    'story format',
  );
  assertNear(
    rate((p) => p.description === PLACEHOLDERS.descriptionUnavailable),
    TARGET_RATES.descriptionUnavailable,
    'no description',
  );
  assertNear(
    rate((p) => p.description.endsWith('\u2026\u00a0')),
    TARGET_RATES.descriptionTruncated,
    'truncated',
  );
  assertNear(
    rate((p) => p.image_src === PLACEHOLDERS.imageSrcError),
    TARGET_RATES.imageSrcError,
    'image src',
  );
  assertNear(
    rate((p) => p.poster_name === PLACEHOLDERS.userInfoError),
    TARGET_RATES.userInfoError,
    'user info',
  );
  assertNear(
    rate((p) => p.tag_list === PLACEHOLDERS.tagsUnavailable),
    TARGET_RATES.tagsUnavailable,
    'no tags',
  );
  for (const [media, target] of Object.entries(TARGET_RATES.media)) {
    assertNear(
      rate((p) => p.is_image_or_video === media),
      target,
      media,
    );
  }
});

test('placeholders travel together as in the real sample', () => {
  for (const p of pins) {
    const imageError = p.image_src === PLACEHOLDERS.imageSrcError;
    assert.equal(p.downloaded, imageError ? 0 : 1, 'downloaded is 0 exactly on image src errors');
    assert.equal(
      p.poster_name === PLACEHOLDERS.userInfoError,
      p.follower_count === PLACEHOLDERS.userInfoError,
      'User Info Error in poster_name and follower_count together',
    );
    assert.equal(p.description === PLACEHOLDERS.descriptionStoryFormat, p.is_image_or_video === STORY);
    if (imageError) assert.equal(p.is_image_or_video, STORY);
    assert.equal(p.save_location, `${PLACEHOLDERS.saveLocationPrefix}/data/${p.category}`);
  }
});

test('values stay in the real data set ranges and formats', () => {
  assert.deepEqual(new Set(pins.map((p) => p.category)), new Set(CATEGORIES));
  const followers = /^(\d{1,3}|[1-9]\d{0,2}k|([1-9]|1[0-5])M|User Info Error)$/;
  for (const { pin, geo, user } of posts) {
    assert.match(pin.follower_count, followers);
    assert.ok(user.age >= 20 && user.age <= 60, `age ${user.age}`);
    assert.ok(user.date_joined >= '2015-10-01 00:00:00' && user.date_joined < '2017-11-01 00:00:00');
    assert.ok(geo.timestamp >= '2017-10-01 00:00:00' && geo.timestamp < '2022-11-01 00:00:00');
    assert.ok(geo.timestamp > user.date_joined, 'users post after joining');
    assert.match(geo.timestamp, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.ok(Math.abs(geo.latitude) <= 90 && Math.abs(geo.longitude) <= 180);
    assert.match(pin.unique_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  for (const format of [/^\d$/, /^\d\d$/, /^\d{3}$/, /^\d+k$/, /^\d+M$/]) {
    assert.ok(
      pins.some((p) => format.test(p.follower_count)),
      `follower format ${format}`,
    );
  }
  assert.ok(new Set(posts.map((p) => p.geo.country)).size > 200, 'about 240 countries');
});

test('a user posts several posts, repeating the same user, poster and location', () => {
  const byUser = new Map<string, typeof posts>();
  for (const post of posts) {
    const { first_name, last_name, age, date_joined } = post.user;
    const key = JSON.stringify([first_name, last_name, age, date_joined]);
    byUser.set(key, [...(byUser.get(key) ?? []), post]);
  }
  assert.ok(byUser.size < posts.length * 0.6, `${byUser.size} users for ${posts.length} posts`);
  assert.ok(
    [...byUser.values()].some((list) => list.length >= 10),
    'a few users post a lot',
  );
  for (const list of byUser.values()) {
    const first = list[0]!;
    for (const post of list) {
      assert.equal(post.pin.poster_name, first.pin.poster_name);
      assert.equal(post.pin.follower_count, first.pin.follower_count);
      assert.equal(post.geo.country, first.geo.country);
    }
  }
});

test('bad options and out-of-range inds are refused', () => {
  assert.throws(() => createGenerator({ seed: 1, posts: 0 }), RangeError);
  assert.throws(() => createGenerator({ seed: 1.5, posts: 10 }), RangeError);
  assert.throws(() => generatePost(ORIGINAL_POSTS), RangeError);
  assert.throws(() => generatePost(-1), RangeError);
});
