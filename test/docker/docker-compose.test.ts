// docker-compose.yml must stay valid and in step with the local stack; the docker client checks it
// without an engine (`docker compose config`). Its compose plugin may have to be built from the Go
// module proxy (minutes): scripts/test.sh starts that build in the background at the lowest priority,
// which is why these tests run last, and `install.sh compose-plugin` here waits for it (or builds it).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { before, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { MAX_FUTURE_TIMESTAMP_MS } from '../../domain/wire.ts';
import { loadConfig } from '../../infra/config.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

before(async () => {
  await run('bash', [path.join(root, 'stack/install.sh'), 'compose-plugin'], { timeout: 20 * 60_000 });
});

test('docker compose config -q accepts docker-compose.yml', async () => {
  await run('docker', ['compose', 'config', '-q'], { cwd: root });
});

test('compose publishes the local stack ports with the same credentials', async () => {
  const { stdout } = await run('docker', ['compose', 'config', '--format', 'json'], { cwd: root });
  const services = (JSON.parse(stdout) as { services: Record<string, ComposeService> }).services;
  const published = (name: string) => (services[name]?.ports ?? []).map((p) => Number(p.published)).sort();
  assert.deepEqual(published('temporal'), [7233, 8233]);
  assert.deepEqual(published('kafka'), [9092]);
  assert.deepEqual(published('seaweedfs'), [9000]);
  assert.deepEqual(published('postgres'), [5432]);
  for (const [name, service] of Object.entries(services)) {
    for (const port of service.ports ?? []) {
      assert.equal(port.host_ip, '127.0.0.1', `${name} publishes ${port.published} on loopback only`);
    }
  }
  assert.equal(services.postgres?.environment?.POSTGRES_USER, 'pinpipe');
  assert.equal(services.postgres?.environment?.POSTGRES_PASSWORD, 'pinpipe');
});

test('compose and the local stack bound record timestamps as the pipeline requires', async () => {
  const { stdout } = await run('docker', ['compose', 'config', '--format', 'json'], { cwd: root });
  const services = (JSON.parse(stdout) as { services: Record<string, ComposeService> }).services;
  const bound = String(MAX_FUTURE_TIMESTAMP_MS);
  assert.equal(String(services.kafka?.environment?.KAFKA_LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS), bound);
  const properties = await readFile(path.join(root, 'stack/kafka/server.properties'), 'utf8');
  assert.match(properties, new RegExp(`^log\\.message\\.timestamp\\.after\\.max\\.ms=${bound}$`, 'm'));
});

test('S3 credentials: the config defaults are the identity both stacks give SeaweedFS', async () => {
  const file = path.join(root, 'stack/seaweedfs/s3.json');
  const s3 = JSON.parse(await readFile(file, 'utf8')) as {
    identities: { credentials: { accessKey: string; secretKey: string }[] }[];
  };
  const config = loadConfig({});
  assert.deepEqual(s3.identities[0]?.credentials[0], {
    accessKey: config.S3_ACCESS_KEY_ID,
    secretKey: config.S3_SECRET_ACCESS_KEY,
  });
  const { stdout } = await run('docker', ['compose', 'config', '--format', 'json'], { cwd: root });
  const services = (JSON.parse(stdout) as { services: Record<string, ComposeService> }).services;
  assert.ok(
    services.seaweedfs?.volumes?.some((v) => v.source === file && v.target === '/etc/seaweedfs/s3.json'),
    'compose mounts stack/seaweedfs/s3.json',
  );
});

interface ComposeService {
  volumes?: { source?: string; target: string }[];
  ports?: { published: string | number; host_ip?: string }[];
  environment?: Record<string, string>;
}
