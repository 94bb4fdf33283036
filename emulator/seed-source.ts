// Loads the generated data set into the source tables: all of it in one transaction that first
// empties them, so a re-run with the same options leaves identical tables and readers never see
// half a data set.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { withTransaction, type Pool, type PoolClient } from '../infra/db.ts';
import { ENTITIES, type Entity } from '../domain/wire.ts';
import {
  createGenerator,
  DEFAULT_GENERATOR_OPTIONS,
  type GeneratorOptions,
  type PostGenerator,
} from './generator.ts';
import { explainMissingSchema, insertParams, insertSql, SEED_INFO_TABLE } from './source-db.ts';
import { SOURCE_TABLES, type SourcePost } from './source-records.ts';

export interface SeedResult extends GeneratorOptions {
  durationMs: number;
}

export type SeedProgress = (postsWritten: number, postsTotal: number) => void;

const CHUNK_POSTS = 5_000;
// Generation is synchronous: slices let the previous chunk's insert reach the socket meanwhile.
const SLICE_POSTS = 500;

const TRUNCATE_SQL = `TRUNCATE ${[...ENTITIES.map((e) => SOURCE_TABLES[e].table), SEED_INFO_TABLE].join(', ')}`;
const INSERT_SQL = Object.fromEntries(ENTITIES.map((e) => [e, insertSql(e)])) as Record<Entity, string>;

async function insertChunk(client: PoolClient, posts: readonly SourcePost[]): Promise<void> {
  for (const entity of ENTITIES) {
    const rows = posts.map((p) => p[entity]);
    await client.query(INSERT_SQL[entity], insertParams(entity, rows));
  }
}

async function generateChunk(generator: PostGenerator, from: number, to: number): Promise<SourcePost[]> {
  const posts: SourcePost[] = [];
  for (let start = from; start < to; start += SLICE_POSTS) {
    posts.push(...generator.posts(start, Math.min(start + SLICE_POSTS, to)));
    await yieldToEventLoop();
  }
  return posts;
}

async function load(client: PoolClient, options: GeneratorOptions, onProgress?: SeedProgress) {
  const generator = createGenerator(options);
  await client.query(TRUNCATE_SQL);
  let inserting: Promise<void> = Promise.resolve();
  for (let from = 0; from < options.posts; from += CHUNK_POSTS) {
    // The next chunk is generated while PostgreSQL inserts the previous one.
    const chunk = await generateChunk(generator, from, Math.min(from + CHUNK_POSTS, options.posts));
    await inserting;
    if (from > 0) onProgress?.(from, options.posts);
    inserting = insertChunk(client, chunk);
    inserting.catch(() => undefined); // awaited on the next turn; this only marks it handled
  }
  await inserting;
  onProgress?.(options.posts, options.posts);
  await client.query(`INSERT INTO ${SEED_INFO_TABLE} (seed, posts) VALUES ($1, $2)`, [
    options.seed,
    options.posts,
  ]);
}

/** Replaces the source data set with the generated one (`npm run seed`). */
export async function seedSource(
  pool: Pool,
  options: GeneratorOptions = DEFAULT_GENERATOR_OPTIONS,
  onProgress?: SeedProgress,
): Promise<SeedResult> {
  const started = performance.now();
  try {
    await withTransaction(pool, (client) => load(client, options, onProgress));
  } catch (err) {
    throw explainMissingSchema(err);
  }
  return { ...options, durationMs: performance.now() - started };
}
