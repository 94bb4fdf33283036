// `npm run seed -- [--posts N] [--seed S]`: generates the source data set and loads it into
// PostgreSQL's source tables, replacing what they held.
import { z } from 'zod';
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { exitOnUsageError, numeric, parseCommandLine } from './cli.ts';
import { DEFAULT_SEED, MAX_POSTS, ORIGINAL_POSTS } from './generator.ts';
import { createProgress } from './progress.ts';
import { seedSource } from './seed-source.ts';

const HELP = `Usage: npm run seed -- [--posts N] [--seed S]

Generates the source data set (pin, geo and user rows per post) and loads it into the source
tables, replacing their contents. The same options always give the same rows.

  --posts N   number of posts, ind 0..N-1 (default ${ORIGINAL_POSTS}, the original data set's size)
  --seed S    generator seed, an integer (default ${DEFAULT_SEED})
  --help      show this help`;

const SeedOptions = z.object({
  posts: numeric(
    z.int({ error: 'expected a whole number' }).min(1).max(MAX_POSTS, `at most ${MAX_POSTS}`),
  ).default(ORIGINAL_POSTS),
  seed: numeric(z.int({ error: 'expected an integer' })).default(DEFAULT_SEED),
  help: z.boolean().default(false),
});

async function main(): Promise<void> {
  let options: z.infer<typeof SeedOptions>;
  try {
    options = parseCommandLine(
      process.argv.slice(2),
      { posts: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      SeedOptions,
    );
  } catch (err) {
    exitOnUsageError(err, HELP);
  }
  if (options.help) return console.log(HELP);

  const pool = createPool(loadConfigOrExit());
  const progress = createProgress(
    options.posts,
    'seeding [{bar}] {percentage}% {value}/{total} posts {eta_formatted}',
  );
  try {
    const { posts, seed, durationMs } = await seedSource(pool, options, (done) => progress.update(done));
    progress.stop();
    const count = posts.toLocaleString('en-US');
    console.log(
      `seeded ${count} posts (seed ${seed}): ${count} rows each in source.pinterest_data, ` +
        `source.geolocation_data and source.user_data in ${(durationMs / 1000).toFixed(1)} s`,
    );
  } finally {
    progress.stop();
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
