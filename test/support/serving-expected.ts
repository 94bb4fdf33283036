// The serving answers worked out in plain JavaScript from the raw records a test sent, with the one
// cleaning implementation (domain/clean.ts) and the batch views' semantics as shared/data/README.md
// states them — not with their SQL — so that a test can hold the merged answers against them.
// Rows come sorted by code point on every column: compare answers through `canonical`.
import type { CleanGeo, CleanPin, CleanUser } from '../../domain/cleaned-records.ts';
import { cleanRecord } from '../../domain/entities.ts';
import type { Entity } from '../../domain/wire.ts';

export interface RawSent {
  entity: Entity;
  record: unknown;
}

type Row = Record<string, string | number | null>;

export interface ExpectedAnswers {
  /** Distinct posts with a cleaned pin: what `sources` counts. */
  posts: Set<number>;
  categories: Row[];
  categoriesBy: { country: Row[]; year: Row[]; age_group: Row[] };
  postsPerCountry: Row[];
  ageGroups: Row[];
  topPosters: { byCountry: Row[]; topCountry: Row | null };
  usersJoined: Row[];
  medians: { age_group: Row[]; join_year: Row[]; age_group_join_year: Row[] };
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Rows in one order whatever the database's collation: by their values, column by column. */
export function canonical<T extends object>(rows: readonly T[]): T[] {
  const key = (r: T) => JSON.stringify(Object.entries(r).sort(([a], [b]) => byCodePoint(a, b)));
  return [...rows].sort((a, b) => byCodePoint(key(a), key(b)));
}

/** percentile_cont(0.5): exact, interpolated between the two middle values. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) / 2;
  const lo = sorted[Math.floor(at)]!;
  return lo + (sorted[Math.ceil(at)]! - lo) * (at - Math.floor(at));
}

function ageGroup(age: number): string | null {
  if (age >= 18 && age <= 24) return '18-24';
  if (age >= 25 && age <= 35) return '25-35';
  if (age >= 36 && age <= 50) return '36-50';
  return age >= 51 ? '+50' : null;
}

const utcYear = (iso: string) => new Date(iso).getUTCFullYear();

/** Groups `items` by a key (skipping undefined keys) and reduces each group. */
function groupBy<T, V>(items: Iterable<T>, key: (t: T) => string | undefined, reduce: (g: T[]) => V) {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups].map(([k, g]) => [k, reduce(g)] as const);
}

/** The rows of rank 1 of each group: every tie is kept. */
function topWithTies<T>(rows: T[], group: (r: T) => string, score: (r: T) => number): T[] {
  const best = new Map<string, number>();
  for (const r of rows) best.set(group(r), Math.max(best.get(group(r)) ?? -Infinity, score(r)));
  return rows.filter((r) => score(r) === best.get(group(r)));
}

/** Each post's cleaned record of one entity: one row per ind, the latest sent wins. */
function latest<T extends { ind: number }>(sent: readonly RawSent[], entity: Entity): Map<number, T> {
  const rows = new Map<number, T>();
  for (const s of sent) {
    if (s.entity !== entity) continue;
    const cleaned = cleanRecord(entity, s.record);
    if (cleaned.ok) rows.set(cleaned.record.ind, cleaned.record as unknown as T);
  }
  return rows;
}

interface Post {
  pin: CleanPin;
  geo?: CleanGeo;
  user?: CleanUser & { age_group: string | null; join_year: number };
}

/** Most posts per (group, category) with rank 1 per group, as views 1, 2 and 4 define it. */
function popularCategory(posts: Post[], column: string, groupOf: (p: Post) => string | number | undefined) {
  const counts = groupBy(
    posts,
    (p) => {
      const g = groupOf(p);
      return g === undefined ? undefined : JSON.stringify([g, p.pin.category]);
    },
    (g) => g.length,
  ).map(([k, n]) => {
    const [group, category] = JSON.parse(k) as [string | number, string];
    return { [column]: group, category, category_count: n };
  });
  return canonical(
    topWithTies(
      counts,
      (r) => String(r[column]),
      (r) => r.category_count,
    ),
  );
}

function mediansBy(
  posts: Post[],
  column: string | string[],
  groupOf: (p: Post) => unknown[] | undefined,
): Row[] {
  const columns = [column].flat();
  return canonical(
    groupBy(
      posts.filter((p) => p.pin.follower_count !== null),
      (p) => {
        const g = groupOf(p);
        return g === undefined ? undefined : JSON.stringify(g);
      },
      (g) => median(g.map((p) => p.pin.follower_count!)),
    ).map(([k, m]) => {
      const values = JSON.parse(k) as (string | number)[];
      const row: Row = Object.fromEntries(columns.map((c, i) => [c, values[i] ?? null]));
      return { ...row, median_follower_count: m };
    }),
  );
}

const inYears = (year: number, from: number, to: number) => year >= from && year <= to;

export function expectedAnswers(sent: readonly RawSent[]): ExpectedAnswers {
  const pins = latest<CleanPin>(sent, 'pin');
  const geos = latest<CleanGeo>(sent, 'geo');
  const users = [...latest<CleanUser>(sent, 'user').values()].map((u) => ({
    ...u,
    age_group: ageGroup(u.age),
    join_year: utcYear(u.date_joined),
  }));
  const userOf = new Map(users.map((u) => [u.ind, u]));
  const posts: Post[] = [...pins.values()].map((pin) => ({
    pin,
    geo: geos.get(pin.ind),
    user: userOf.get(pin.ind),
  }));

  const joinYearOk = (p: Post) => p.user !== undefined && inYears(p.user.join_year, 2015, 2020);
  const grouped = (p: Post) => p.user?.age_group ?? undefined;
  const posterRows = groupBy(
    posts.filter((p) => p.geo && p.pin.poster_name !== null && p.pin.follower_count !== null),
    (p) => JSON.stringify([p.geo!.country, p.pin.poster_name]),
    (g) => Math.max(...g.map((p) => p.pin.follower_count!)),
  ).map(([k, followers]) => {
    const [country, poster_name] = JSON.parse(k) as [string, string];
    return { country, poster_name, follower_count: followers };
  });
  const byCountry = canonical(
    topWithTies(
      posterRows,
      (r) => r.country,
      (r) => r.follower_count,
    ),
  );
  const [topCountry] = [...byCountry].sort(
    (a, b) => b.follower_count - a.follower_count || byCodePoint(a.country, b.country),
  );
  const medianByAgeGroup = mediansBy(posts, 'age_group', (p) => (grouped(p) ? [grouped(p)] : undefined));
  const medianOf = new Map(medianByAgeGroup.map((r) => [r.age_group, r.median_follower_count]));

  return {
    posts: new Set(pins.keys()),
    categories: canonical(
      groupBy(
        posts,
        (p) => p.pin.category,
        (g) => g.length,
      ).map(([category, n]) => ({ category, category_count: n })),
    ),
    categoriesBy: {
      country: popularCategory(posts, 'country', (p) => p.geo?.country),
      year: popularCategory(posts, 'post_year', (p) => {
        const year = p.geo && utcYear(p.geo.timestamp);
        return year !== undefined && inYears(year, 2018, 2022) ? year : undefined;
      }),
      age_group: popularCategory(posts, 'age_group', grouped),
    },
    postsPerCountry: canonical(
      groupBy(
        posts,
        (p) => p.geo?.country,
        (g) => g.length,
      ).map(([country, n]) => ({ country, posts: n })),
    ),
    ageGroups: canonical(
      groupBy(posts, grouped, (g) => g.length).map(([age_group, n]) => ({
        age_group,
        posts: n,
        median_follower_count: medianOf.get(age_group) ?? null,
      })),
    ),
    topPosters: {
      byCountry,
      topCountry: topCountry
        ? { country: topCountry.country, follower_count: topCountry.follower_count }
        : null,
    },
    usersJoined: canonical(
      groupBy(
        users.filter((u) => inYears(u.join_year, 2015, 2020)),
        (u) => String(u.join_year),
        (g) => new Set(g.map((u) => JSON.stringify([u.user_name, u.age, u.date_joined]))).size,
      ).map(([year, n]) => ({ post_year: Number(year), number_users_joined: n })),
    ),
    medians: {
      age_group: medianByAgeGroup,
      join_year: mediansBy(posts, 'post_year', (p) => (joinYearOk(p) ? [p.user!.join_year] : undefined)),
      age_group_join_year: mediansBy(posts, ['age_group', 'post_year'], (p) =>
        joinYearOk(p) && grouped(p) ? [grouped(p), p.user!.join_year] : undefined,
      ),
    },
  };
}
