// docker-compose.yml must stay valid and in step with the local stack; the docker client checks it
// without an engine (`docker compose config`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

test('docker compose config -q accepts docker-compose.yml', async () => {
  await run('docker', ['compose', 'config', '-q'], { cwd: root });
});

test('compose publishes the local stack ports with the same credentials', async () => {
  const { stdout } = await run('docker', ['compose', 'config', '--format', 'json'], { cwd: root });
  const services = (JSON.parse(stdout) as { services: Record<string, ComposeService> }).services;
  const published = (name: string) => (services[name]?.ports ?? []).map((p) => Number(p.published)).sort();
  assert.deepEqual(published('temporal'), [7233, 8233]);
  assert.deepEqual(published('kafka'), [9092]);
  assert.deepEqual(published('minio'), [9000, 9001]);
  assert.deepEqual(published('postgres'), [5432]);
  assert.equal(services.postgres?.environment?.POSTGRES_USER, 'pinpipe');
  assert.equal(services.postgres?.environment?.POSTGRES_PASSWORD, 'pinpipe');
  assert.equal(services.minio?.environment?.MINIO_ROOT_USER, 'minioadmin');
});

interface ComposeService {
  ports?: { published: string | number }[];
  environment?: Record<string, string>;
}
