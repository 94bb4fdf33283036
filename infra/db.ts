import pg from 'pg';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { isPostgresDataError, isPostgresOutage } from './outages.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'> &
    Partial<Pick<Config, 'DATABASE_QUERY_TIMEOUT_MS'>>,
  log?: Logger,
): pg.Pool {
  const queryTimeoutMs = config.DATABASE_QUERY_TIMEOUT_MS ?? 120_000;
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: config.DATABASE_POOL_MAX,
    // A server that never answers (a dropped network, not a refused port) fails a checkout after 10 s
    // instead of hanging it; the callers treat that as an outage like any other.
    connectionTimeoutMillis: 10_000,
    // A half-open connection (the server or the network gone without a reset) would hang a statement
    // for ever: the server cancels a statement past the timeout, and the client gives up a little
    // later in case the server cannot say so. Keep-alive lets the kernel find dead idle connections.
    statement_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', (err) => log?.warn({ err }, 'idle PostgreSQL client error'));
  return pool;
}

/**
 * Runs fn in one transaction: committed if it resolves, rolled back if it throws. A connection that
 * failed as an outage (reset, timed out) is discarded rather than given back to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    if (isPostgresOutage(err)) {
      client.release(err instanceof Error ? err : true);
    } else {
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!rolledBack);
    }
    throw err;
  }
}

export interface Isolated<T> {
  applied: number;
  refused: { item: T; error: pg.DatabaseError }[];
}

/**
 * Applies `items` inside the caller's transaction, setting apart the ones PostgreSQL refuses for their
 * data: all at once first, and on such a refusal the two halves again, down to the single refused
 * items, each attempt behind a savepoint. Any other error is thrown. Costs one statement when
 * nothing is refused, about 2·log2(n) more per refused item.
 */
export async function applyIsolating<T>(
  client: pg.PoolClient,
  items: T[],
  apply: (items: T[]) => Promise<number>,
): Promise<Isolated<T>> {
  if (items.length === 0) return { applied: 0, refused: [] };
  await client.query('SAVEPOINT isolate');
  try {
    const applied = await apply(items);
    await client.query('RELEASE SAVEPOINT isolate');
    return { applied, refused: [] };
  } catch (err) {
    if (!isPostgresDataError(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT isolate');
    await client.query('RELEASE SAVEPOINT isolate');
    if (items.length === 1) return { applied: 0, refused: [{ item: items[0] as T, error: err }] };
    const half = Math.ceil(items.length / 2);
    const a = await applyIsolating(client, items.slice(0, half), apply);
    const b = await applyIsolating(client, items.slice(half), apply);
    return { applied: a.applied + b.applied, refused: [...a.refused, ...b.refused] };
  }
}
