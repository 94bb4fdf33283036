import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../infra/config.ts';
import { createPool } from '../../infra/db.ts';
import { migrate } from '../../infra/migrate.ts';

test('migrate is idempotent and refuses an applied migration that was edited', async () => {
  const pool = createPool(loadConfig({}));
  try {
    await migrate(pool);
    assert.deepEqual(await migrate(pool), [], 'a second run applies nothing');
    await Promise.all([migrate(pool), migrate(pool)]); // concurrent migrators serialise on the lock

    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    const { rows } = await pool.query<{ name: string }>(
      'SELECT name FROM public.schema_migrations WHERE version = 1',
    );
    await writeFile(path.join(dir, rows[0]?.name ?? '0001_x.sql'), '-- edited\n');
    await assert.rejects(migrate(pool, dir), /was changed after it was applied/);
  } finally {
    await pool.end();
  }
});
