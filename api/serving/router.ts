// Read-only serving endpoints: the analytics over all data (batch views merged with the speed layer)
// and the pipeline's own state. Their query schemas and answers are in api/serving/contract.ts.
import { Router, type Request, type RequestHandler } from 'express';
import type { z } from 'zod';
import { isPostgresOutage } from '../../infra/outages.ts';
import { StoreUnavailableError, ValidationError } from '../errors.ts';
import type { AnalyticsSnapshot } from './analytics.ts';
import { temporalGrpcStatus } from '../../infra/stream-status.ts';
import {
  CategoriesQuery,
  FollowerMediansQuery,
  PostsPerCountryQuery,
  PostsPerMinuteQuery,
  type AgeGroupsAnswer,
  type CategoryCount,
  type CategoriesAnswer,
  type FollowerMediansAnswer,
  type PipelineStatus,
  type PostsPerCountryAnswer,
  type PostsPerMinuteAnswer,
  type TopPostersAnswer,
  type UsersJoinedAnswer,
} from './contract.ts';

export interface ServingDeps {
  snapshot: () => Promise<AnalyticsSnapshot>;
  postsPerMinute: (minutes: number) => Promise<PostsPerMinuteAnswer>;
  pipelineStatus: () => Promise<PipelineStatus>;
}

type Row = Record<string, unknown>;

/** Numeric columns come back from PostgreSQL as strings (bigint, double precision of medians). */
function numbers<T = Row>(rows: Row[], columns: string[]): T[] {
  return rows.map((r) => {
    const out: Row = { ...r };
    for (const c of columns) if (out[c] !== null && out[c] !== undefined) out[c] = Number(out[c]);
    return out as T;
  });
}

/** The parsed query string, or a 400 (validation_failed) naming each bad parameter. */
function query<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse(req.query);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    parsed.error.issues.map((i) => ({ path: `query.${i.path.join('.')}`, message: i.message })),
  );
}

/** PostgreSQL or Temporal being down is a 503 the client can retry, not a 500. */
function storeOutage(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof ValidationError) return err;
  if (isPostgresOutage(err as Error & { code?: unknown }))
    return new StoreUnavailableError('postgres', { cause: err });
  const grpc = temporalGrpcStatus(err);
  if (grpc === 14 || grpc === 4) return new StoreUnavailableError('temporal', { cause: err }); // UNAVAILABLE, DEADLINE_EXCEEDED
  return err;
}

const handle =
  (fn: RequestHandler): RequestHandler =>
  async (req, res, next) => {
    try {
      await fn(req, res, next);
    } catch (err) {
      next(storeOutage(err));
    }
  };

export function createServingRouter(deps: ServingDeps): Router {
  const router = Router();
  const get = (path: string, fn: RequestHandler) => router.get(path, handle(fn));

  get('/v1/analytics/categories', async (req, res) => {
    const q = query(CategoriesQuery, req);
    const s = await deps.snapshot();
    const rows =
      q.by === 'overall'
        ? s.categories
        : q.by === 'country'
          ? s.views.popular_category_by_country
          : q.by === 'year'
            ? s.views.popular_category_by_year
            : s.views.popular_category_by_age_group;
    const answer: CategoriesAnswer = {
      sources: s.sources,
      rows: numbers<CategoryCount>(rows ?? [], ['category_count', 'post_year']),
    };
    res.json(answer);
  });

  get('/v1/analytics/posts-per-country', async (req, res) => {
    const q = query(PostsPerCountryQuery, req);
    const s = await deps.snapshot();
    res.json({
      sources: s.sources,
      rows: s.postsPerCountry.slice(0, q.limit),
    } satisfies PostsPerCountryAnswer);
  });

  get('/v1/analytics/age-groups', async (_req, res) => {
    const s = await deps.snapshot();
    const medians = new Map(
      (s.views.median_followers_by_age_group ?? []).map((r) => [
        r.age_group,
        Number(r.median_follower_count),
      ]),
    );
    const rows = s.postsPerAgeGroup.map((r) => ({
      ...r,
      median_follower_count: medians.get(r.age_group) ?? null,
    }));
    res.json({ sources: s.sources, rows } satisfies AgeGroupsAnswer);
  });

  get('/v1/analytics/top-posters', async (_req, res) => {
    const s = await deps.snapshot();
    const top = numbers<{ country: string; follower_count: number }>(
      s.views.top_country_by_poster_followers ?? [],
      ['follower_count'],
    );
    res.json({
      sources: s.sources,
      byCountry: numbers(s.views.top_poster_by_country ?? [], ['follower_count']),
      topCountry: top[0] ?? null,
    } as TopPostersAnswer);
  });

  get('/v1/analytics/users-joined', async (_req, res) => {
    const s = await deps.snapshot();
    const rows = numbers(s.views.users_joined_by_year ?? [], ['post_year', 'number_users_joined']);
    res.json({ sources: s.sources, rows } as UsersJoinedAnswer);
  });

  get('/v1/analytics/follower-medians', async (req, res) => {
    const q = query(FollowerMediansQuery, req);
    const s = await deps.snapshot();
    const view = {
      age_group: 'median_followers_by_age_group',
      join_year: 'median_followers_by_join_year',
      age_group_join_year: 'median_followers_by_age_group_and_join_year',
    }[q.by];
    const rows = numbers(s.views[view] ?? [], ['post_year', 'median_follower_count']);
    res.json({ sources: s.sources, rows } as FollowerMediansAnswer);
  });

  get('/v1/pipeline/posts-per-minute', async (req, res) => {
    const q = query(PostsPerMinuteQuery, req);
    res.json(await deps.postsPerMinute(q.minutes));
  });

  get('/v1/pipeline/status', async (_req, res) => {
    res.json(await deps.pipelineStatus());
  });

  return router;
}
