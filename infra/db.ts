import pg from 'pg';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

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

// What PostgreSQL's errors mean for a caller: retry (an outage), refuse the record (its data), or
// neither (a bug or a configuration error, which retrying shows until someone fixes it).

/** Node's errors for a peer that cannot be reached or went away, whatever the service. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * PostgreSQL unreachable, shutting down, out of resources or too slow: SQLSTATE classes 08
 * (connection), 53 (resources), 57P (shutdown), 57014 (statement timeout), 40001/40P01 (serialization,
 * deadlock), 55P03 (lock timeout), and the driver's own network and timeout errors.
 */
export function isPostgresOutage(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const c = typeof code === 'string' ? code : '';
  return (
    NETWORK_CODES.has(c) ||
    /^(08|53|57P)/.test(c) ||
    ['57014', '40001', '40P01', '55P03'].includes(c) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout/i.test(
      typeof message === 'string' ? message : '',
    )
  );
}

const DATA_CONDITIONS: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
};

/** PostgreSQL refused the data itself (SQLSTATE classes 22 and 23): retrying the same rows cannot help. */
export function isPostgresDataError(err: unknown): err is pg.DatabaseError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/**
 * Why PostgreSQL refused a row, naming the column or constraint when it says which and never the
 * value (its messages may quote it): `follower_count: PostgreSQL refused it (22003 numeric_value_out_of_range)`.
 */
export function describeDataError(err: pg.DatabaseError): string {
  const where = err.column ?? err.constraint ?? 'record';
  const condition = DATA_CONDITIONS[err.code ?? ''];
  return `${where}: PostgreSQL refused it (${err.code}${condition ? ` ${condition}` : ''})`;
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
