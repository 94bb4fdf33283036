// A small fixed data set for the batch layer, written by hand, and the answers the batch views must
// give for it, worked out by hand (see the table below). Two days, 2021-03-01 and 2021-03-02.
//
// The posts once both days are loaded (the latest day's row of each post; within a day its latest
// event). Partition = ind % 3. Followers after cleaning. "·" = no row.
//
// ind cat    country  poster  followers  age user     joined (UTC)         post time (UTC)      day
//  1  art    Albania  P-A        10 000   20 Ann Lee  2015-11-01           2018-03-01           1
//  2  art    Albania  P-B     3 000 000   22 Bob Ray  2016-02-10           2019-05-05           1; pin 1M on day 1, 3M on day 2
//  3  travel Albania  P-C     3 000 000   30 Cat Sun  2016-06-15           2019-07-07           1
//  4  travel Brazil   P-D           500   30 Cat Sun  2016-06-15 (=3)      2020-01-01           1
//  5  travel Brazil   P-E         1 500   40 Dan Oak  2017-01-20           2020-02-02           1; pin 1k day 1, then 1k, 1.5k day 2
//  6  diy    Brazil   P-D         2 000   45 Eve Fir  2017-03-03           2021-04-04           1
//  7  diy    Chile    ·           ·       55 Fay Elm  2015-12-12           2022-08-08           1 (User Info Error)
//  8  art    Chile    P-F     3 000 000   60 Gus Ash  2014-05-05           2017-09-09           1
//  9  diy    Chile    P-G     3 000 000   25 Hal Yew  2020-12-31 23:59:59  2022-01-01           2
// 10  travel Denmark  P-H           100   17 Ivy Red  2018-02-02           2018-06-06           2
// 11  art    Denmark  P-I           900   51 Jon Tan  2019-07-07           2018-12-31 23:59:59  2
// 12  diy    Denmark  P-J           250   36 Kim Lo   2021-01-01           2023-01-01           2
// 13  art    Egypt    P-K         1 000   50 Lea Moe  2018-08-08           2021-09-09           2
// 14  ·      Egypt    (pin rejected)      33 Ann Lee  2015-11-01 (≠1: age) 2021-10-10           2
// Poison on day 2: ind 15's geo (latitude 200), a user message that is not JSON (key 16), a pin
// message without a value (key 17). Outside both days: ind 3's pin as "quotes" just before day 1 and
// just after day 2.
import assert from 'node:assert/strict';
import type { BatchDayReport } from '../../domain/batch-report.ts';
import { ENTITIES, type Entity } from '../../domain/wire.ts';

export const DAY_1 = '2021-03-01';
export const DAY_2 = '2021-03-02';

export interface FixtureMessage {
  entity: Entity;
  key: string;
  partition: number;
  timestamp: number;
  /** The message value as sent: a record's JSON, other text or bytes, or null. */
  value: string | Buffer | null;
}

interface Post {
  ind: number;
  category: string;
  country: string;
  poster: string;
  followers: string;
  age: number;
  first: string;
  last: string;
  joined: string;
  posted: string;
}

const POSTS: Post[] = [
  post(1, 'art', 'Albania', 'P-A', '10k', 20, 'Ann Lee', '2015-11-01 10:00:00', '2018-03-01 12:00:00'),
  post(2, 'art', 'Albania', 'P-B', '1M', 22, 'Bob Ray', '2016-02-10 10:00:00', '2019-05-05 12:00:00'),
  post(3, 'travel', 'Albania', 'P-C', '3M', 30, 'Cat Sun', '2016-06-15 10:00:00', '2019-07-07 12:00:00'),
  post(4, 'travel', 'Brazil', 'P-D', '500', 30, 'Cat Sun', '2016-06-15 10:00:00', '2020-01-01 12:00:00'),
  post(5, 'travel', 'Brazil', 'P-E', '1k', 40, 'Dan Oak', '2017-01-20 10:00:00', '2020-02-02 12:00:00'),
  post(6, 'diy', 'Brazil', 'P-D', '2k', 45, 'Eve Fir', '2017-03-03 10:00:00', '2021-04-04 12:00:00'),
  post(
    7,
    'diy',
    'Chile',
    'User Info Error',
    'User Info Error',
    55,
    'Fay Elm',
    '2015-12-12 10:00:00',
    '2022-08-08 12:00:00',
  ),
  post(8, 'art', 'Chile', 'P-F', '3M', 60, 'Gus Ash', '2014-05-05 10:00:00', '2017-09-09 12:00:00'),
  post(9, 'diy', 'Chile', 'P-G', '3M', 25, 'Hal Yew', '2020-12-31 23:59:59', '2022-01-01 12:00:00'),
  post(10, 'travel', 'Denmark', 'P-H', '100', 17, 'Ivy Red', '2018-02-02 10:00:00', '2018-06-06 12:00:00'),
  post(11, 'art', 'Denmark', 'P-I', '900', 51, 'Jon Tan', '2019-07-07 10:00:00', '2018-12-31 23:59:59'),
  post(12, 'diy', 'Denmark', 'P-J', '250', 36, 'Kim Lo', '2021-01-01 10:00:00', '2023-01-01 12:00:00'),
  post(13, 'art', 'Egypt', 'P-K', '1k', 50, 'Lea Moe', '2018-08-08 10:00:00', '2021-09-09 12:00:00'),
  post(14, 'travel', 'Egypt', 'P-L', '12q', 33, 'Ann Lee', '2015-11-01 10:00:00', '2021-10-10 12:00:00'),
];

function post(
  ind: number,
  category: string,
  country: string,
  poster: string,
  followers: string,
  age: number,
  name: string,
  joined: string,
  posted: string,
): Post {
  const [first = '', last = ''] = name.split(' ');
  return { ind, category, country, poster, followers, age, first, last, joined, posted };
}

function pinValue(p: Post, overrides: { followers?: string; category?: string } = {}): string {
  const category = overrides.category ?? p.category;
  return JSON.stringify({
    index: p.ind,
    unique_id: `00000000-0000-4000-8000-${String(p.ind).padStart(12, '0')}`,
    title: `Post ${p.ind}`,
    description: 'No description available Story format',
    poster_name: p.poster,
    follower_count: overrides.followers ?? p.followers,
    tag_list: 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e',
    is_image_or_video: 'image',
    image_src: `https://i.pinimg.com/originals/${p.ind}.jpg`,
    downloaded: 1,
    save_location: `Local save in /data/${category}`,
    category,
  });
}

const geoValue = (p: Post, latitude = 10.5): string =>
  JSON.stringify({ ind: p.ind, timestamp: p.posted, latitude, longitude: -20.25, country: p.country });

const userValue = (p: Post): string =>
  JSON.stringify({ ind: p.ind, first_name: p.first, last_name: p.last, age: p.age, date_joined: p.joined });

function postOf(ind: number): Post {
  const p = POSTS.find((x) => x.ind === ind);
  if (!p) throw new Error(`no fixture post ${ind}`);
  return p;
}

const at = (iso: string) => Date.parse(iso);

function message(entity: Entity, ind: number, timestamp: number, value: string | null): FixtureMessage {
  return { entity, key: String(ind), partition: ind % 3, timestamp, value };
}

function wholePost(ind: number, timestamp: number): FixtureMessage[] {
  const p = postOf(ind);
  return [
    message('pin', ind, timestamp, pinValue(p)),
    message('geo', ind, timestamp, geoValue(p)),
    message('user', ind, timestamp, userValue(p)),
  ];
}

/** Every message of the data set, in the order they are produced (timestamp order). */
export function fixtureMessages(): FixtureMessage[] {
  const day1 = at(`${DAY_1}T01:00:00Z`);
  const day2 = at(`${DAY_2}T01:00:00Z`);
  const minute = 60_000;
  const p2 = postOf(2);
  const p5 = postOf(5);
  return [
    message('pin', 3, at(`${DAY_1}T00:00:00Z`) - 1, pinValue(postOf(3), { category: 'quotes' })),
    ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((ind) => wholePost(ind, day1 + ind * minute)),
    ...[9, 10, 11, 12, 13, 14].flatMap((ind) => wholePost(ind, day2 + ind * minute)),
    message('pin', 2, day2 + 20 * minute, pinValue(p2, { followers: '3M' })),
    message('pin', 5, day2 + 21 * minute, pinValue(p5, { followers: '1k' })),
    message('pin', 5, day2 + 22 * minute, pinValue(p5, { followers: '1.5k' })),
    message('geo', 15, day2 + 23 * minute, geoValue({ ...postOf(13), ind: 15 }, 200)),
    message('user', 16, day2 + 24 * minute, 'not json {'),
    message('pin', 17, day2 + 25 * minute, null),
    message('pin', 3, at(`${DAY_2}T00:00:00Z`) + 86_400_000, pinValue(postOf(3), { category: 'quotes' })),
  ];
}

/** Raw records per entity, partition and day, counted by hand from the table above. */
export const RAW_COUNTS: Record<string, Record<Entity, [number, number, number]>> = {
  [DAY_1]: { pin: [2, 3, 3], geo: [2, 3, 3], user: [2, 3, 3] },
  [DAY_2]: { pin: [2, 2, 6], geo: [3, 2, 2], user: [2, 3, 2] },
};

/**
 * Day 2's raw objects ([partition, part], two records each) holding rejected records, and those
 * holding nothing else (no cleaned object is written for them).
 */
export const DAY_2_REJECTED_OBJECTS: Record<Entity, [number, number][]> = {
  pin: [
    [2, 0],
    [2, 2],
  ],
  geo: [[0, 1]],
  user: [[1, 1]],
};
export const DAY_2_ALL_REJECTED_OBJECTS: Record<Entity, [number, number][]> = {
  pin: [],
  geo: [[0, 1]],
  user: [[1, 1]],
};

/** in, out and rejected per entity of day 2, and the rows it loads (distinct posts). */
export const DAY_2_COUNTS: Record<Entity, { in: number; out: number; rejected: number; rows: number }> = {
  pin: { in: 10, out: 8, rejected: 2, rows: 7 },
  geo: { in: 7, out: 6, rejected: 1, rows: 6 },
  user: { in: 7, out: 6, rejected: 1, rows: 6 },
};

/** The views' answers, each ordered by its primary key (age groups in label order: "+50" first). */
export const EXPECTED_VIEWS: Record<string, unknown[][]> = {
  popular_category_by_country: [
    ['Albania', 'art', 2],
    ['Brazil', 'travel', 2],
    ['Chile', 'diy', 2],
    ['Denmark', 'art', 1],
    ['Denmark', 'diy', 1],
    ['Denmark', 'travel', 1],
    ['Egypt', 'art', 1],
  ],
  popular_category_by_year: [
    [2018, 'art', 2],
    [2019, 'art', 1],
    [2019, 'travel', 1],
    [2020, 'travel', 2],
    [2021, 'art', 1],
    [2021, 'diy', 1],
    [2022, 'diy', 2],
  ],
  top_poster_by_country: [
    ['Albania', 'P-B', 3_000_000],
    ['Albania', 'P-C', 3_000_000],
    ['Brazil', 'P-D', 2_000],
    ['Chile', 'P-F', 3_000_000],
    ['Chile', 'P-G', 3_000_000],
    ['Denmark', 'P-I', 900],
    ['Egypt', 'P-K', 1_000],
  ],
  top_country_by_poster_followers: [['Albania', 3_000_000]],
  popular_category_by_age_group: [
    ['+50', 'art', 2],
    ['18-24', 'art', 2],
    ['25-35', 'travel', 2],
    ['36-50', 'diy', 2],
  ],
  median_followers_by_age_group: [
    ['+50', 1_500_450],
    ['18-24', 1_505_000],
    ['25-35', 3_000_000],
    ['36-50', 1_250],
  ],
  users_joined_by_year: [
    [2015, 3],
    [2016, 2],
    [2017, 2],
    [2018, 2],
    [2019, 1],
    [2020, 1],
  ],
  median_followers_by_join_year: [
    [2015, 10_000],
    [2016, 3_000_000],
    [2017, 1_750],
    [2018, 550],
    [2019, 900],
    [2020, 3_000_000],
  ],
  median_followers_by_age_group_and_join_year: [
    ['+50', 2019, 900],
    ['18-24', 2015, 10_000],
    ['18-24', 2016, 3_000_000],
    ['25-35', 2016, 1_500_250],
    ['25-35', 2020, 3_000_000],
    ['36-50', 2017, 1_750],
    ['36-50', 2018, 1_000],
  ],
};

/** The second day's counts per entity, as a run of it must report them. */
export function assertDay2Counts(report: BatchDayReport): void {
  for (const e of ENTITIES) {
    const c = report.entities[e].cleaned;
    const want = DAY_2_COUNTS[e];
    assert.deepEqual(
      [c.in, c.out, c.rejected.total, report.entities[e].loadedRows],
      [want.in, want.out, want.rejected, want.rows],
      `${DAY_2} ${e}: in, out, rejected, rows`,
    );
  }
}
