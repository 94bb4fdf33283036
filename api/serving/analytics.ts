// The serving layer's merge: the analytics over ALL posts, from the batch layer for complete days and
// from the speed layer for what came after them, without counting a post twice at the seam.
//
// It runs the batch views' own SQL files (db/views/) once more, in a transaction whose temporary
// tables shadow the batch tables: `pin`, `geo`, `user` hold the batch rows of the loaded days plus
// the speed rows outside every loaded day's exported offsets, each post's latest event wins by the
// one rule (domain/latest-event.ts), and each view table is a temporary copy. One implementation of
// the views' semantics serves both.
import pg from 'pg';
import { ENTITY } from '../../domain/entities.ts';
import { ENTITIES } from '../../domain/wire.ts';
import { withTransaction, type Pool, type PoolClient } from '../../infra/db.ts';
import { readViewFiles } from '../../infra/views.ts';
import type { Sources } from './contract.ts';

const q = pg.escapeIdentifier;

export interface AnalyticsSchemas {
  batch: string;
  batchViews: string;
  speed: string;
}

export interface AnalyticsSnapshot {
  sources: Sources;
  /** Rows of each batch view (by table name), over the merged posts. */
  views: Record<string, Record<string, unknown>[]>;
  /** Answers the views do not hold, over the same merged posts. */
  categories: { category: string; category_count: number }[];
  postsPerCountry: { country: string; posts: number }[];
  postsPerAgeGroup: { age_group: string; posts: number }[];
}

interface LastDay {
  day: string;
  /** When the batch layer's coverage ends: the next midnight, or the export of a day still running. */
  coveredUntil: string;
}

/** The last day the batch layer loaded successfully: its export's end offsets are the seam. */
async function lastBatchDay(client: PoolClient, s: AnalyticsSchemas): Promise<LastDay | null> {
  const { rows } = await client.query<{ dt: string; complete: boolean | null; started: string | null }>(
    `SELECT to_char(dt, 'YYYY-MM-DD') AS dt, (report->>'dayComplete')::boolean AS complete,
            report->>'startedAt' AS started
     FROM ${q(s.batch)}.days WHERE status = 'succeeded' ORDER BY dt DESC LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return null;
  return { day: r.dt, coveredUntil: r.complete === false && r.started ? r.started : nextDay(r.dt) };
}

/**
 * Temporary `pin`, `geo`, `user`: the batch rows of every day the batch layer loaded successfully,
 * and the speed rows the batch has not seen — outside every such day's exported offset range
 * `[startOffset, endOffset)` in their partition. Exact: a record is inside a loaded day's range or
 * not, whatever its timestamp, and a day never loaded (or whose re-run is under way or failed)
 * leaves its records to the speed layer instead of losing them.
 */
async function mergeSources(client: PoolClient, s: AnalyticsSchemas): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE loaded_days ON COMMIT DROP AS
     SELECT dt, report FROM ${q(s.batch)}.days WHERE status = 'succeeded' AND report IS NOT NULL`,
  );
  await client.query(
    `CREATE TEMP TABLE seam ON COMMIT DROP AS
     SELECT e.key AS entity, (p->>'partition')::int AS partition,
            (p->>'startOffset')::bigint AS start_offset, (p->>'endOffset')::bigint AS end_offset
     FROM loaded_days d, jsonb_each(d.report->'entities') e,
          jsonb_array_elements(e.value->'exported'->'partitions') p`,
  );
  for (const entity of ENTITIES) {
    const { table, tableColumns } = ENTITY[entity];
    const cols = tableColumns.map((c) => q(c.name)).join(', ');
    // Speed rows carry dt = infinity, to be told from batch rows; the latest event wins by the rule.
    await client.query(
      `CREATE TEMP TABLE ${q(table)} ON COMMIT DROP AS
       SELECT dt, ${cols} FROM ${q(s.batch)}.${q(table)} WHERE dt IN (SELECT dt FROM loaded_days)
       UNION ALL
       SELECT 'infinity'::date, ${cols} FROM ${q(s.speed)}.${q(table)} r
       WHERE NOT EXISTS (SELECT 1 FROM seam WHERE seam.entity = $1 AND seam.partition = r.source_partition
                           AND r.source_offset >= seam.start_offset AND r.source_offset < seam.end_offset)`,
      [entity],
    );
  }
}

/** Posts whose latest event came from each layer (after the prelude made latest_pin). */
async function counts(client: PoolClient): Promise<{ batch: number; speed: number }> {
  const { rows } = await client.query<{ batch: number; speed: number }>(
    `SELECT count(*) FILTER (WHERE dt <> 'infinity')::int AS batch, count(*) FILTER (WHERE dt = 'infinity')::int AS speed
     FROM latest_pin`,
  );
  return rows[0] ?? { batch: 0, speed: 0 };
}

/** The view files, read once per process: they ship with the code and do not change under it. */
let viewFiles: ReturnType<typeof readViewFiles> | undefined;
function cachedViewFiles(): ReturnType<typeof readViewFiles> {
  viewFiles ??= readViewFiles().catch((err: unknown) => {
    viewFiles = undefined;
    throw err;
  });
  return viewFiles;
}

export async function computeSnapshot(pool: Pool, s: AnalyticsSchemas): Promise<AnalyticsSnapshot> {
  const files = await cachedViewFiles();
  return withTransaction(pool, async (client) => {
    // Read-only in effect: every table it writes is temporary and dropped at commit.
    const last = await lastBatchDay(client, s);
    await mergeSources(client, s);
    for (const f of files.views) {
      await client.query(
        `CREATE TEMP TABLE ${q(f.view)} (LIKE ${q(s.batchViews)}.${q(f.view)}) ON COMMIT DROP`,
      );
    }
    // pg_temp comes first in the search path: the view files read and write the temporary tables.
    await client.query(`SET LOCAL search_path TO ${q(s.batchViews)}, ${q(s.batch)}`);
    await client.query(files.prelude);
    const views: AnalyticsSnapshot['views'] = {};
    for (const f of files.views) {
      await client.query(f.sql);
      views[f.view] = (await client.query(`SELECT * FROM pg_temp.${q(f.view)} ORDER BY 1, 2`)).rows;
    }
    const posts = await counts(client);
    const categories = await client.query(
      `SELECT category, count(*)::int AS category_count FROM post_pin GROUP BY category ORDER BY 2 DESC, 1`,
    );
    const perCountry = await client.query(
      `SELECT country, count(*)::int AS posts FROM post_pin JOIN post_geo USING (ind) GROUP BY country ORDER BY 2 DESC, 1`,
    );
    const perAgeGroup = await client.query(
      `SELECT age_group, count(*)::int AS posts FROM post_pin JOIN post_user USING (ind)
       WHERE age_group IS NOT NULL GROUP BY age_group ORDER BY 1`,
    );
    return {
      sources: {
        batch: { throughDay: last?.day ?? null, posts: posts.batch },
        speed: { since: last?.coveredUntil ?? null, posts: posts.speed },
        generatedAt: new Date().toISOString(),
      },
      views,
      categories: categories.rows,
      postsPerCountry: perCountry.rows,
      postsPerAgeGroup: perAgeGroup.rows,
    };
  });
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString();
}
