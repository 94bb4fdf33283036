import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MigrationError, readMigrations } from '../../infra/migrate.ts';

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

test('the project migrations are numbered, unique and in order', async () => {
  const migrations = await readMigrations();
  assert.ok(migrations.length >= 1);
  assert.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
});

test('reads migrations in version order with a checksum of their text', async () => {
  const dir = await dirWith({ '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT 1;' });
  const migrations = await readMigrations(dir);
  assert.deepEqual(
    migrations.map((m) => [m.version, m.name]),
    [
      [1, '0001_a.sql'],
      [2, '0002_b.sql'],
    ],
  );
  assert.match(migrations[0]?.checksum ?? '', /^[0-9a-f]{64}$/);
});

test('rejects badly named files and duplicate versions', async () => {
  await assert.rejects(readMigrations(await dirWith({ 'init.sql': '' })), MigrationError);
  await assert.rejects(
    readMigrations(await dirWith({ '0001_a.sql': '', '0001_b.sql': '' })),
    /two migrations share version 1/,
  );
});
