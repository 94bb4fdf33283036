// `npm run migrate`: applies pending database migrations (also part of `npm run setup`).
import { loadConfigOrExit } from '../infra/config.ts';
import { createPool } from '../infra/db.ts';
import { migrate } from '../infra/migrate.ts';

async function main(): Promise<void> {
  const pool = createPool(loadConfigOrExit());
  try {
    const applied = await migrate(pool);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'schema up to date');
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
