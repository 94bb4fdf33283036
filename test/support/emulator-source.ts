// The emulator's source database for one test file. Its tables have fixed, schema-qualified names
// (`source.pinterest_data`, … in emulator/source-records.ts), so a test cannot give them fresh names
// on the shared server, and seeding the shared ones would replace the developer's data set (and race
// test/integration/seed.test.ts). A private PostgreSQL server holds them instead, migrated and seeded
// by the real code; the emulator reads it through the real source reader.
import pg from 'pg';
import type { GeneratorOptions } from '../../emulator/generator.ts';
import { seedSource } from '../../emulator/seed-source.ts';
import { createSourceReader, type SourceReader } from '../../emulator/source-db.ts';
import { SOURCE_TABLES, type SourcePost } from '../../emulator/source-records.ts';
import type { Entity } from '../../domain/wire.ts';
import { createPool, type Pool } from '../../infra/db.ts';
import { migrate } from '../../infra/migrate.ts';
import { PostgresServer } from './postgres-server.ts';

export interface EmulatorSource {
  reader: SourceReader;
  /**
   * Overwrites columns of one seeded row: a source may hold what the API must refuse (a latitude of
   * 200) or what only the cleaning rejects, and the generator never makes either.
   */
  update<E extends Entity>(entity: E, ind: number, values: Partial<SourcePost[E]>): Promise<void>;
  close(): Promise<void>;
}

export async function createEmulatorSource(options: GeneratorOptions): Promise<EmulatorSource> {
  const server = await PostgresServer.create();
  const pool: Pool = createPool({ DATABASE_URL: server.url, DATABASE_POOL_MAX: 4 });
  const close = async () => {
    await pool.end();
    await server.destroy();
  };
  try {
    await migrate(pool);
    await seedSource(pool, options);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    reader: createSourceReader(pool),
    async update(entity, ind, values) {
      const { table, key } = SOURCE_TABLES[entity];
      const columns = Object.keys(values);
      const set = columns.map((c, i) => `${pg.escapeIdentifier(c)} = $${i + 2}`).join(', ');
      const { rowCount } = await pool.query(
        `UPDATE ${table} SET ${set} WHERE ${pg.escapeIdentifier(key)} = $1`,
        [ind, ...columns.map((c) => values[c as keyof typeof values])],
      );
      if (rowCount !== 1) throw new Error(`no ${entity} row ${ind} in the source tables`);
    },
    close,
  };
}
