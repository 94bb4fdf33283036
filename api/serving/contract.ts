// The serving endpoints (GET, read-only), shared by the API and the dashboard: the query parameters
// each validates and the JSON shape of its answer, as zod schemas. The OpenAPI document
// (api/openapi.ts) is generated from them: their descriptions are its descriptions.
import { z } from 'zod';

// Query strings. A value out of bounds, or not one of an enum's, is a 400 naming the parameter.

/** GET /v1/analytics/categories */
export const CategoriesQuery = z.object({
  by: z
    .enum(['overall', 'country', 'year', 'age_group'])
    .default('overall')
    .describe('Grouping: every category, or the most popular one per country, year or age group'),
});
/** GET /v1/analytics/follower-medians */
export const FollowerMediansQuery = z.object({
  by: z
    .enum(['age_group', 'join_year', 'age_group_join_year'])
    .default('age_group')
    .describe('Grouping: per age group, joining year, or both'),
});
/** GET /v1/analytics/posts-per-country */
export const PostsPerCountryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('Countries to return'),
});
/** GET /v1/pipeline/posts-per-minute */
export const PostsPerMinuteQuery = z.object({
  minutes: z.coerce.number().int().min(1).max(1440).default(60).describe('How many minutes back'),
});

// Answers.

const count = z.int().nonnegative();

export const Sources = z
  .object({
    batch: z.object({ throughDay: z.iso.date().nullable(), posts: count }),
    speed: z.object({ since: z.string().nullable(), posts: count }),
    generatedAt: z.iso.datetime(),
  })
  .describe(
    'Which part of an answer came from which layer. batch: the days the batch layer loaded, ' +
      "through throughDay; speed: the records after the end offsets of that day's export, since " +
      '`since` (the next midnight, or the moment a same-day run exported).',
  );
export type Sources = z.infer<typeof Sources>;

export interface Answer<Row> {
  sources: Sources;
  rows: Row[];
}
const answer = <Row extends z.ZodType>(row: Row) => z.object({ sources: Sources, rows: z.array(row) });

export const CategoryCount = z.object({ category: z.string(), category_count: count });
export type CategoryCount = z.infer<typeof CategoryCount>;

/** GET /v1/analytics/categories?by=overall|country|year|age_group */
export const CategoriesAnswer = z.union([
  answer(CategoryCount).describe('by=overall: every category, most posts first'),
  answer(CategoryCount.extend({ country: z.string() })).describe('by=country'),
  answer(CategoryCount.extend({ post_year: z.int() })).describe('by=year'),
  answer(CategoryCount.extend({ age_group: z.string() })).describe('by=age_group'),
]);
export type CategoriesAnswer = z.infer<typeof CategoriesAnswer>;

/** GET /v1/analytics/posts-per-country?limit=N: most posts first. */
export const PostsPerCountryAnswer = answer(z.object({ country: z.string(), posts: count }));
export type PostsPerCountryAnswer = z.infer<typeof PostsPerCountryAnswer>;

/** GET /v1/analytics/age-groups: posts and median follower count per age group. */
export const AgeGroupsAnswer = answer(
  z.object({ age_group: z.string(), posts: count, median_follower_count: z.number().nullable() }),
);
export type AgeGroupsAnswer = z.infer<typeof AgeGroupsAnswer>;

/** GET /v1/analytics/top-posters */
export const TopPostersAnswer = z.object({
  sources: Sources,
  byCountry: z.array(z.object({ country: z.string(), poster_name: z.string(), follower_count: count })),
  topCountry: z.object({ country: z.string(), follower_count: count }).nullable(),
});
export type TopPostersAnswer = z.infer<typeof TopPostersAnswer>;

/** GET /v1/analytics/users-joined */
export const UsersJoinedAnswer = answer(z.object({ post_year: z.int(), number_users_joined: count }));
export type UsersJoinedAnswer = z.infer<typeof UsersJoinedAnswer>;

/** GET /v1/analytics/follower-medians?by=age_group|join_year|age_group_join_year */
export const FollowerMediansAnswer = answer(
  z.object({
    age_group: z.string().optional(),
    post_year: z.int().optional(),
    median_follower_count: z.number(),
  }),
);
export type FollowerMediansAnswer = z.infer<typeof FollowerMediansAnswer>;

/** GET /v1/pipeline/posts-per-minute?minutes=60: events the speed layer received per minute. */
export const PostsPerMinuteAnswer = answer(
  z.object({ minute: z.iso.datetime(), pin: count, geo: count, user: count }),
);
export type PostsPerMinuteAnswer = z.infer<typeof PostsPerMinuteAnswer>;

const epochMs = z.number().describe('Milliseconds since the epoch');

/** GET /v1/pipeline/status */
export const PipelineStatus = z.object({
  generatedAt: z.iso.datetime(),
  temporalUiUrl: z.string(),
  streams: z.array(
    z.object({
      stream: z
        .string()
        .describe("The shard's workflow id: the stream's name, or `<stream>-<i>` when it has several shards"),
      entity: z.string(),
      shard: z
        .object({ index: z.int().min(0), count: z.int().min(1) })
        .describe("Which of the stream's shards: it owns the partitions p with p mod count = index"),
      state: z
        .string()
        .describe('running, idle, retrying, pausing, paused, stopping, stopped, not running, not answering'),
      lag: z
        .int()
        .nullable()
        .describe(
          "Records in Kafka not yet applied, against Kafka's current high watermarks; null if unknown",
        ),
      lagError: z
        .string()
        .optional()
        .describe(
          "Why the lag could not be measured (Kafka or PostgreSQL down): `partitions` are then the last batch's",
        ),
      retrying: z
        .object({
          attempts: count,
          since: epochMs,
          lastFailure: z.object({ type: z.string(), message: z.string(), at: epochMs }),
          nextAttemptAt: epochMs.nullable(),
        })
        .nullable()
        .describe('Set while micro-batches fail: attempts in a row, since when, the last failure'),
      pendingSignals: z
        .array(z.string())
        .optional()
        .describe(
          "Signals no worker has taken yet (a stop sent while none ran), when state is 'not answering'",
        ),
      read: count,
      deadLettered: count,
      freshnessMs: z.number().nullable(),
      lastBatchMs: z.number().nullable(),
      partitions: z
        .array(
          z.object({ partition: z.int(), nextOffset: z.string(), highWatermark: z.string(), lag: z.int() }),
        )
        .describe("Each partition's next offset to read, the high watermark and the lag between them"),
      error: z
        .string()
        .optional()
        .describe("Why the stream's status query failed, when state is 'not answering'"),
      url: z.string(),
    }),
  ),
  batchDays: z.array(
    z.object({
      dt: z.iso.date(),
      status: z.string(),
      recordsExported: count.nullable(),
      recordsCleaned: count.nullable(),
      recordsRejected: count.nullable(),
      finishedAt: z.iso.datetime().nullable(),
      lastFailure: z
        .string()
        .nullable()
        .describe("Why the day's latest run failed, when it did (a succeeded day keeps its rows and status)"),
      url: z.string(),
    }),
  ),
  schedule: z
    .object({ id: z.string(), paused: z.boolean(), nextRuns: z.array(z.iso.datetime()), url: z.string() })
    .nullable(),
  ingest: z.object({ recordsProduced: count, ratePerSecond: z.number().nullable() }),
});
export type PipelineStatus = z.infer<typeof PipelineStatus>;
