// The source database the emulator replays (`source.*`, seeded by `npm run seed`): SQL derived
// from SOURCE_TABLES (constant identifiers only; every value travels as a parameter).
import pg from 'pg';
import type { Pool, PoolClient } from '../infra/db.ts';
import { ENTITIES, type Entity } from '../domain/wire.ts';
import { SourceNotSeededError, SourceSchemaMissingError } from './errors.ts';
import { SOURCE_TABLES, type SourcePost } from './source-records.ts';

export interface SeedInfo {
  seed: number;
  posts: number;
  generatedAt: Date;
}

export interface SourceReader {
  /** the seeded data set: `ind` runs from 0 to posts - 1 */
  seedInfo(): Promise<SeedInfo>;
  readPost(ind: number): Promise<SourcePost | undefined>;
}

const quote = (identifier: string) => `"${identifier}"`;

function columnsOf(entity: Entity): [string, string][] {
  return Object.entries(SOURCE_TABLES[entity].columns);
}

/** A multi-row insert of one chunk: one array parameter per column, unnested into rows. */
export function insertSql(entity: Entity): string {
  const columns = columnsOf(entity);
  const names = columns.map(([name]) => quote(name)).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return `INSERT INTO ${SOURCE_TABLES[entity].table} (${names}) SELECT * FROM unnest(${arrays})`;
}

/** The chunk's values column by column, in the order of insertSql's parameters. */
export function insertParams<E extends Entity>(entity: E, rows: readonly SourcePost[E][]): unknown[][] {
  return Object.keys(SOURCE_TABLES[entity].columns).map((name) =>
    rows.map((row) => row[name as keyof SourcePost[E]]),
  );
}

// Dates come back as the original wrote them, not as JS Dates in the machine's time zone.
function recordJson(entity: Entity): string {
  const { table, key } = SOURCE_TABLES[entity];
  const fields = columnsOf(entity).map(([name, type]) => {
    const column = `t.${quote(name)}`;
    const value = type === 'timestamp' ? `to_char(${column}, 'YYYY-MM-DD HH24:MI:SS')` : column;
    return `'${name}', ${value}`;
  });
  return `(SELECT json_build_object(${fields.join(', ')}) FROM ${table} t WHERE t.${quote(key)} = $1)`;
}

const READ_POST_SQL = `SELECT ${ENTITIES.map((e) => `${recordJson(e)} AS ${quote(e)}`).join(', ')}`;

export const SEED_INFO_TABLE = 'source.seed_info';

/** PostgreSQL's codes for a missing schema or table. */
const MISSING_RELATION = new Set(['3F000', '42P01']);

/** Turns "the source tables are missing" into an error that says what to run. */
export function explainMissingSchema(err: unknown): unknown {
  if (err instanceof pg.DatabaseError && err.code && MISSING_RELATION.has(err.code)) {
    return new SourceSchemaMissingError(err.code);
  }
  return err;
}

type Queryable = Pick<Pool | PoolClient, 'query'>;

async function select<Row extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  try {
    return (await db.query<Row>(sql, params)).rows;
  } catch (err) {
    throw explainMissingSchema(err);
  }
}

export async function readSeedInfo(db: Queryable): Promise<SeedInfo | undefined> {
  const [row] = await select<{ seed: string; posts: number; generated_at: Date }>(
    db,
    `SELECT seed, posts, generated_at FROM ${SEED_INFO_TABLE}`,
  );
  return row && { seed: Number(row.seed), posts: row.posts, generatedAt: row.generated_at };
}

export function createSourceReader(pool: Pool): SourceReader {
  return {
    async seedInfo() {
      const info = await readSeedInfo(pool);
      if (!info) throw new SourceNotSeededError();
      return info;
    },
    async readPost(ind) {
      const [row] = await select<Partial<SourcePost>>(pool, READ_POST_SQL, [ind]);
      const { pin, geo, user } = row ?? {};
      return pin && geo && user ? { pin, geo, user } : undefined;
    },
  };
}
