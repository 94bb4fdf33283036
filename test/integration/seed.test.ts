// Seeds the shared source tables with the DEFAULT options (as `npm run seed` would), so the
// developer's running stack is left with the data set it expects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENTITIES } from '../../domain/wire.ts';
import { loadConfig } from '../../infra/config.ts';
import { createPool, type Pool } from '../../infra/db.ts';
import { createGenerator, DEFAULT_SEED, ORIGINAL_POSTS } from '../../emulator/generator.ts';
import { PLACEHOLDERS } from '../../emulator/sample-profile.ts';
import { seedSource } from '../../emulator/seed-source.ts';
import { createSourceReader } from '../../emulator/source-db.ts';
import { SOURCE_TABLES } from '../../emulator/source-records.ts';

async function tableChecksums(pool: Pool): Promise<Record<string, { rows: number; md5: string }>> {
  const sums: Record<string, { rows: number; md5: string }> = {};
  for (const entity of ENTITIES) {
    const { table, key } = SOURCE_TABLES[entity];
    const { rows } = await pool.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(string_agg(t::text, ',' ORDER BY t."${key}")) AS md5 FROM ${table} t`,
    );
    sums[table] = rows[0]!;
  }
  return sums;
}

test('seeding twice gives identical tables that hold exactly the generated rows', async (t) => {
  const pool = createPool(loadConfig({}));
  try {
    const first = await seedSource(pool);
    const before = await tableChecksums(pool);
    const second = await seedSource(pool);
    const after = await tableChecksums(pool);
    t.diagnostic(
      `seeded ${ORIGINAL_POSTS} posts in ${first.durationMs.toFixed(0)} and ${second.durationMs.toFixed(0)} ms`,
    );

    assert.deepEqual(after, before, 'a re-run with the same options changes nothing');
    for (const { rows } of Object.values(after)) assert.equal(rows, ORIGINAL_POSTS);

    const reader = createSourceReader(pool);
    const info = await reader.seedInfo();
    assert.deepEqual({ seed: info.seed, posts: info.posts }, { seed: DEFAULT_SEED, posts: ORIGINAL_POSTS });

    const generator = createGenerator();
    const all = [...generator.posts()];
    const dirty = [
      all.find((p) => p.pin.poster_name === PLACEHOLDERS.userInfoError),
      all.find((p) => p.pin.title === ''),
      all.find((p) => p.pin.description.endsWith('\u2026\u00a0')),
    ].map((p) => p!.pin.index);
    for (const ind of [0, 5000, ORIGINAL_POSTS - 1, ...dirty]) {
      assert.deepEqual(await reader.readPost(ind), generator.post(ind), `post ${ind} read back`);
    }
    assert.equal(await reader.readPost(ORIGINAL_POSTS), undefined);
  } finally {
    await pool.end();
  }
});
