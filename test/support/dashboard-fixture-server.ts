// A stand-in for the serving endpoints (api/serving/contract.ts) with data the test sets, mounting the
// real dashboard router. Run it alone to work on the page: `npx tsx test/support/dashboard-fixture-server.ts`.
import { pathToFileURL } from 'node:url';
import express, { type Express } from 'express';
import { createDashboardRouter } from '../../api/dashboard/router.ts';
import type {
  AgeGroupsAnswer,
  Answer,
  CategoryCount,
  FollowerMediansAnswer,
  PipelineStatus,
  PostsPerCountryAnswer,
  PostsPerMinuteAnswer,
  Sources,
  TopPostersAnswer,
  UsersJoinedAnswer,
} from '../../api/serving/contract.ts';
import { CATEGORIES } from '../../emulator/sample-profile.ts';
import { serve } from './http.ts';

export interface DashboardData {
  categories: Answer<CategoryCount>;
  postsPerCountry: PostsPerCountryAnswer;
  ageGroups: AgeGroupsAnswer;
  topPosters: TopPostersAnswer;
  usersJoined: UsersJoinedAnswer;
  joinYearMedians: FollowerMediansAnswer;
  postsPerMinute: PostsPerMinuteAnswer;
  status: PipelineStatus;
}

export { CATEGORIES };
export const AGE_GROUPS = ['18-24', '25-35', '36-50', '+50'];
const COUNTRIES: [country: string, poster: string][] = [
  ['Afghanistan', 'Tastemade'],
  ['Albania', 'Nail Designs Ideas'],
  ['Algeria', 'YourTango'],
  ['American Samoa', 'Mamas Uncut'],
  ['Andorra', 'Cosmopolitan'],
  ['Angola', 'Glamour'],
  ['Antarctica (the territory South of 60 deg S)', 'Brit + Co'],
  ['Argentina', 'Country Living'],
  ['Armenia', 'The Art of Manliness'],
  ['Australia', 'Buzzfeed'],
  ['Austria', 'HGTV'],
  ['Bangladesh', 'Better Homes and Gardens'],
  ['Belgium', 'Refinery29'],
  ['Brazil', 'Architectural Digest'],
  ['Canada', 'Travel + Leisure'],
  ["Cote d'Ivoire", 'The Pioneer Woman'],
  ['Denmark', 'Hallmark Channel'],
  ['Egypt', 'Real Simple'],
  ['France', 'Vogue Paris'],
  ['Germany', 'Apartment Therapy'],
  ['India', 'Ink Bar Tattoo'],
  ['Japan', 'Lonely Planet'],
  ['Mexico', 'Brides'],
  ['Norway', 'Nordic Design'],
];

/** A small deterministic PRNG: the same tick always gives the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;

/** Realistic answers at `now`; a higher `tick` is a later refresh: more posts, other lags. */
export function realisticData(now: Date, tick = 0): DashboardData {
  const rand = random(tick + 1);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const throughDay = new Date(today.getTime() - DAY_MS).toISOString().slice(0, 10);
  const speedPosts = 180 + tick * 37;
  const sources: Sources = {
    batch: { throughDay, posts: 10_412 },
    speed: { since: today.toISOString(), posts: speedPosts },
    generatedAt: now.toISOString(),
  };
  const ui = 'http://localhost:8233/namespaces/default';

  const categories = CATEGORIES.map((category) => ({
    category,
    category_count: int(520, 1150) + tick * 3,
  })).sort((a, b) => b.category_count - a.category_count);
  const postsPerCountry = COUNTRIES.map(([country]) => ({ country, posts: int(30, 95) + tick }))
    .sort((a, b) => b.posts - a.posts || a.country.localeCompare(b.country))
    .slice(0, 15);
  const byCountry = COUNTRIES.map(([country, poster_name]) => ({
    country,
    poster_name,
    follower_count: int(40, 9_000) * 1000,
  }));
  const best = byCountry.reduce((a, b) => (b.follower_count > a.follower_count ? b : a));
  const minutes = Array.from({ length: 60 }, (_, i) => {
    const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (59 - i) * 60_000).toISOString();
    const posts = int(20, 60) + Math.round(15 * Math.sin((i + tick) / 6));
    return { minute, pin: posts, geo: posts - int(0, 2), user: posts - int(0, 3) };
  });
  const stream = (entity: string) => ({
    stream: `stream-${entity}`,
    entity,
    shard: { index: 0, count: 1 },
    state: 'running',
    lag: int(0, 400),
    read: 25_000 + tick * 120 + int(0, 50),
    deadLettered: entity === 'pin' ? 3 : 0,
    freshnessMs: int(400, 4_000),
    lastBatchMs: int(60, 450),
    partitions: [0, 1, 2].map((partition) => ({
      partition,
      nextOffset: String(8_000 + tick * 40),
      highWatermark: String(8_000 + tick * 40 + 25),
      lag: 25,
    })),
    retrying: null,
    url: `${ui}/workflows/stream-${entity}`,
  });
  const batchDays = Array.from({ length: 7 }, (_, i) => {
    const dt = new Date(today.getTime() - (i + 1) * DAY_MS).toISOString().slice(0, 10);
    const exported = int(9_000, 12_500) * 3;
    const rejected = i === 3 ? 0 : int(0, 40);
    return {
      dt,
      status: i === 4 ? 'failed' : 'succeeded',
      recordsExported: exported,
      recordsCleaned: i === 4 ? null : exported - rejected,
      recordsRejected: i === 4 ? null : rejected,
      finishedAt: i === 4 ? null : new Date(Date.parse(dt) + DAY_MS + 14 * 60_000).toISOString(),
      lastFailure:
        i === 4
          ? 'S3 refused the request: AccessDenied'
          : i === 2
            ? `${dt} cannot be rebuilt: Kafka no longer holds these records of the day and no archive of them exists in S3`
            : null,
      url: `${ui}/workflows/batch-${dt}`,
    };
  });

  return {
    categories: { sources, rows: categories },
    postsPerCountry: { sources, rows: postsPerCountry },
    ageGroups: {
      sources,
      rows: AGE_GROUPS.map((age_group, i) => ({
        age_group,
        posts: [2_950, 4_310, 2_480, 890][i]! + tick * 5,
        median_follower_count: [86_000, 42_000, 21_000, 5_000][i]! + int(0, 2_000),
      })),
    },
    topPosters: {
      sources,
      byCountry,
      topCountry: { country: best.country, follower_count: best.follower_count },
    },
    usersJoined: {
      sources,
      rows: [2015, 2016, 2017].map((post_year, i) => ({
        post_year,
        number_users_joined: [587, 1_023, 312][i]! + tick,
      })),
    },
    joinYearMedians: {
      sources,
      rows: [2015, 2016, 2017].map((post_year, i) => ({
        post_year,
        median_follower_count: [179_000, 24_000, 8_000][i]!,
      })),
    },
    postsPerMinute: { sources, rows: minutes },
    status: {
      generatedAt: now.toISOString(),
      temporalUiUrl: 'http://localhost:8233',
      streams: ['pin', 'geo', 'user'].map(stream),
      batchDays,
      schedule: {
        id: 'batch-daily',
        paused: false,
        nextRuns: [new Date(today.getTime() + DAY_MS + 5 * 60_000).toISOString()],
        url: `${ui}/schedules/batch-daily`,
      },
      ingest: { recordsProduced: 1_204_311 + tick * 600, ratePerSecond: 118.4 + int(-20, 20) },
    },
  };
}

/** Before anything ran: no batch day, no speed rows, no streams, no schedule. */
export function emptyData(now: Date): DashboardData {
  const sources: Sources = {
    batch: { throughDay: null, posts: 0 },
    speed: { since: null, posts: 0 },
    generatedAt: now.toISOString(),
  };
  const empty = { sources, rows: [] };
  return {
    categories: empty,
    postsPerCountry: empty,
    ageGroups: empty,
    topPosters: { sources, byCountry: [], topCountry: null },
    usersJoined: empty,
    joinYearMedians: empty,
    postsPerMinute: empty,
    status: {
      generatedAt: now.toISOString(),
      temporalUiUrl: 'http://localhost:8233',
      streams: [],
      batchDays: [],
      schedule: null,
      ingest: { recordsProduced: 0, ratePerSecond: null },
    },
  };
}

export interface DashboardFixture {
  app: Express;
  /** What the endpoints answer now; replace it to simulate a refresh of the serving layer. */
  data: DashboardData;
  /** The endpoints (matched on the URL) that answer 503, as the real API does when PostgreSQL is down. */
  failing: RegExp | null;
}

/** The dashboard at `/dashboard/`, the contract's endpoints at `/v1/...`. */
export function createDashboardFixture(data: DashboardData): DashboardFixture {
  const app = express();
  const fixture: DashboardFixture = { app, data, failing: null };
  app.use('/dashboard', createDashboardRouter());
  app.use('/v1', (req, res, next) => {
    if (!fixture.failing?.test(req.originalUrl)) return next();
    res.status(503).json({ error: 'service_unavailable', message: 'The serving database is not answering.' });
  });
  const answer = (path: string, pick: (d: DashboardData) => unknown) =>
    app.get(path, (_req, res) => {
      res.json(pick(fixture.data));
    });
  answer('/v1/analytics/categories', (d) => d.categories);
  answer('/v1/analytics/posts-per-country', (d) => d.postsPerCountry);
  answer('/v1/analytics/age-groups', (d) => d.ageGroups);
  answer('/v1/analytics/top-posters', (d) => d.topPosters);
  answer('/v1/analytics/users-joined', (d) => d.usersJoined);
  answer('/v1/analytics/follower-medians', (d) => d.joinYearMedians);
  answer('/v1/pipeline/posts-per-minute', (d) => d.postsPerMinute);
  // Like the real endpoint, every answer is a new sample (the page charts lag per sample).
  answer('/v1/pipeline/status', (d) => ({ ...d.status, generatedAt: new Date().toISOString() }));
  return fixture;
}

async function main(): Promise<void> {
  let tick = 0;
  const fixture = createDashboardFixture(realisticData(new Date()));
  setInterval(() => (fixture.data = realisticData(new Date(), ++tick)), 5000).unref();
  const served = await serve(fixture.app);
  console.log(`dashboard with fixture data: ${served.url}/dashboard/`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
