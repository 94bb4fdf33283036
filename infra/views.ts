// The batch views' SQL (db/views/), shared by the views refresh (activities/batch/views.ts) and the
// serving merge (api/serving/analytics.ts), so that one definition of each view serves both. Both run
// `prelude` first, over tables named pin, geo and user (the batch tables, or the serving layer's
// merged temporary ones): it picks each post's latest event by the one rule, then posts.sql derives
// what the views group by.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { ENTITY } from '../domain/entities.ts';
import { latestEventsSql } from '../domain/latest-event.ts';
import { ENTITIES } from '../domain/wire.ts';

export const VIEWS_DIR = path.resolve(import.meta.dirname, '../db/views');
const POSTS = 'posts.sql';
const VIEW_FILE = /^\d{2}[a-z]?_([a-z0-9_]+)\.sql$/;

export interface ViewFile {
  view: string;
  file: string;
  sql: string;
  sha256: string;
}

export interface ViewFiles {
  /** Each post's latest event per entity (latest_pin, …), then posts.sql: one statement list. */
  prelude: string;
  /** `NN_<table>.sql`, in name order: each refreshes the table it is named after. */
  views: ViewFile[];
}

/** `latest_pin`, `latest_geo`, `latest_user`: one row per post, its latest event (domain/latest-event.ts). */
export function latestEventsPrelude(): string {
  return ENTITIES.map((e) => {
    const { table } = ENTITY[e];
    return `CREATE TEMP TABLE latest_${table} ON COMMIT DROP AS ${latestEventsSql(pg.escapeIdentifier(table))};`;
  }).join('\n');
}

export async function readViewFiles(dir = VIEWS_DIR): Promise<ViewFiles> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const posts = await readFile(path.join(dir, POSTS), 'utf8');
  const views: ViewFile[] = [];
  for (const file of names) {
    const view = VIEW_FILE.exec(file)?.[1];
    if (view === undefined) continue;
    const sql = await readFile(path.join(dir, file), 'utf8');
    views.push({ view, file, sql, sha256: createHash('sha256').update(sql).digest('hex') });
  }
  return { prelude: `${latestEventsPrelude()}\n${posts}`, views };
}
