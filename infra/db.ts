import pg from 'pg';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>,
  log?: Logger,
): pg.Pool {
  // A server that never answers (a dropped network, not a refused port) fails a checkout after 10 s
  // instead of hanging it; the callers treat that as an outage like any other.
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => log?.warn({ err }, 'idle PostgreSQL client error'));
  return pool;
}

/** Runs fn in one transaction: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
