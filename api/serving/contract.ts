// JSON shapes of the serving endpoints (GET, read-only), shared by the API and the dashboard.

/**
 * Which part of an answer came from which layer: the batch layer for the days it loaded (through
 * `throughDay`), the speed layer for records past the end of that day's export (`since` is when
 * that export's coverage ends: the next midnight, or the moment a same-day run exported).
 */
export interface Sources {
  batch: { throughDay: string | null; posts: number };
  speed: { since: string | null; posts: number };
  generatedAt: string;
}

export interface Answer<Row> {
  sources: Sources;
  rows: Row[];
}

export interface CategoryCount {
  category: string;
  category_count: number;
}

/** GET /v1/analytics/categories?by=overall|country|year|age_group */
export type CategoriesAnswer =
  | Answer<CategoryCount> // by=overall: every category, most posts first
  | Answer<CategoryCount & { country: string }>
  | Answer<CategoryCount & { post_year: number }>
  | Answer<CategoryCount & { age_group: string }>;

/** GET /v1/analytics/posts-per-country?limit=N: most posts first. */
export type PostsPerCountryAnswer = Answer<{ country: string; posts: number }>;

/** GET /v1/analytics/age-groups: posts and median follower count per age group. */
export type AgeGroupsAnswer = Answer<{
  age_group: string;
  posts: number;
  median_follower_count: number | null;
}>;

/** GET /v1/analytics/top-posters */
export interface TopPostersAnswer {
  sources: Sources;
  byCountry: { country: string; poster_name: string; follower_count: number }[];
  topCountry: { country: string; follower_count: number } | null;
}

/** GET /v1/analytics/users-joined */
export type UsersJoinedAnswer = Answer<{ post_year: number; number_users_joined: number }>;

/** GET /v1/analytics/follower-medians?by=age_group|join_year|age_group_join_year */
export type FollowerMediansAnswer = Answer<{
  age_group?: string;
  post_year?: number;
  median_follower_count: number;
}>;

/** GET /v1/pipeline/posts-per-minute?minutes=60: events the speed layer received per minute. */
export type PostsPerMinuteAnswer = Answer<{ minute: string; pin: number; geo: number; user: number }>;

/** GET /v1/pipeline/status */
export interface PipelineStatus {
  generatedAt: string;
  temporalUiUrl: string;
  streams: {
    stream: string;
    entity: string;
    /** running, idle, retrying, pausing, paused, stopping, stopped, not running, not answering. */
    state: string;
    /** Records in Kafka not yet applied, against Kafka's current high watermarks; null if unknown. */
    lag: number | null;
    /** Why the lag could not be measured (Kafka or PostgreSQL down): `partitions` are then the last batch's. */
    lagError?: string;
    /** Set while micro-batches fail: attempts in a row, since when, the last failure. */
    retrying: {
      attempts: number;
      since: number;
      lastFailure: { type: string; message: string; at: number };
      nextAttemptAt: number | null;
    } | null;
    /** Signals no worker has taken yet (a stop sent while none ran), when state is 'not answering'. */
    pendingSignals?: string[];
    read: number;
    deadLettered: number;
    freshnessMs: number | null;
    lastBatchMs: number | null;
    /** Each partition's next offset to read, the high watermark and the lag between them. */
    partitions: { partition: number; nextOffset: string; highWatermark: string; lag: number }[];
    /** Why the stream's status query failed, when state is 'not answering'. */
    error?: string;
    url: string;
  }[];
  batchDays: {
    dt: string;
    status: string;
    recordsExported: number | null;
    recordsCleaned: number | null;
    recordsRejected: number | null;
    finishedAt: string | null;
    /** Why the day's latest run failed, when it did (a succeeded day keeps its rows and status). */
    lastFailure: string | null;
    url: string;
  }[];
  schedule: { id: string; paused: boolean; nextRuns: string[]; url: string } | null;
  ingest: { recordsProduced: number; ratePerSecond: number | null };
}
