import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { apiAccess } from '../../api/auth.ts';
import { ConfigError, LOCAL_API_KEY, loadConfig } from '../../infra/config.ts';

test('defaults match the local stack and docker-compose.yml', () => {
  const config = loadConfig({});
  assert.equal(config.TEMPORAL_ADDRESS, 'localhost:7233');
  assert.deepEqual(config.KAFKA_BROKERS, ['localhost:9092']);
  assert.equal(config.S3_ENDPOINT, 'http://localhost:9000');
  assert.equal(config.DATABASE_URL, 'postgres://pinpipe:pinpipe@localhost:5432/pinpipe');
  assert.equal(config.API_PORT, 8000);
  assert.equal(config.API_HOST, '127.0.0.1', 'the API listens on loopback unless opened up');
  assert.equal(config.API_KEY, 'pinpipe-local-key');
});

test('parses lists, numbers and booleans from strings', () => {
  const config = loadConfig({
    KAFKA_BROKERS: 'b1:9092, b2:9092',
    API_PORT: '8080',
    S3_FORCE_PATH_STYLE: 'false',
    S3_ENDPOINT: '',
    API_KEY: '',
  });
  assert.deepEqual(config.KAFKA_BROKERS, ['b1:9092', 'b2:9092']);
  assert.equal(config.API_PORT, 8080);
  assert.equal(config.S3_FORCE_PATH_STYLE, false);
  assert.equal(config.S3_ENDPOINT, undefined, 'empty endpoint means AWS S3 itself');
  assert.equal(config.API_KEY, undefined, 'an empty key: clients send none (the API refuses it, below)');
});

test('the API refuses an empty key anywhere and the published one in production; API_AUTH=off is explicit', () => {
  const env = (vars: NodeJS.ProcessEnv) => loadConfig(vars);
  const writeKey = (config: ReturnType<typeof env>) => {
    const access = apiAccess(config);
    return access && access.write.map((k) => k.key).join(',');
  };
  assert.equal(writeKey(env({})), LOCAL_API_KEY, 'locally the stack key works');
  assert.throws(() => writeKey(env({ API_KEY: '' })), /^ConfigError: API_KEY is empty.*API_AUTH=off/);
  assert.throws(
    () => writeKey(env({ NODE_ENV: 'production' })),
    /^ConfigError: API_KEY holds the local stack's published key .* NODE_ENV=production/,
  );
  assert.throws(() => writeKey(env({ NODE_ENV: 'production', API_KEY: '' })), /API_KEY is empty/);
  assert.equal(writeKey(env({ NODE_ENV: 'production', API_KEY: 'a-key-of-our-own' })), 'a-key-of-our-own');
  assert.equal(writeKey(env({ NODE_ENV: 'production', API_AUTH: 'off' })), undefined);
  assert.throws(() => env({ API_AUTH: 'no' }), /API_AUTH/);
});

test('a bad environment names every bad variable', () => {
  assert.throws(
    () =>
      loadConfig({
        API_PORT: 'eighty',
        KAFKA_BROKERS: 'no-port',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of ['API_PORT', 'KAFKA_BROKERS', 'DATABASE_URL', 'LOG_LEVEL']) {
        assert.match(err.message, new RegExp(`at ${name}`), `${name} is named`);
      }
      return true;
    },
  );
});

test('API_KEYS and API_READ_KEYS: named keys; the names are checked, and reads need a key once read keys exist', () => {
  const config = loadConfig({
    API_KEYS: 'ingest-a:aaaaaaaaaaaa, ingest-b:bbbbbbbbbbbb',
    API_READ_KEYS: 'grafana:rrrrrrrrrrrr',
  });
  assert.deepEqual(apiAccess(config), {
    write: [
      { name: 'ingest-a', key: 'aaaaaaaaaaaa' },
      { name: 'ingest-b', key: 'bbbbbbbbbbbb' },
    ],
    read: [{ name: 'grafana', key: 'rrrrrrrrrrrr' }],
    readsNeedKey: true,
  });
  assert.equal(apiAccess(loadConfig({}))?.readsNeedKey, false, 'locally, without read keys, reads are open');
  assert.equal(apiAccess(loadConfig({ NODE_ENV: 'production', API_KEY: 'our-own-key' }))?.readsNeedKey, true);
  assert.throws(() => loadConfig({ API_KEYS: 'no-colon' }), /name:key[\s\S]*at API_KEYS/);
  assert.throws(() => loadConfig({ API_KEYS: 'a:short' }), /at least 8 characters[\s\S]*at API_KEYS/);
  assert.throws(
    () => loadConfig({ API_KEYS: 'a:aaaaaaaaaa,a:bbbbbbbbbb' }),
    /share a name[\s\S]*at API_KEYS/,
  );
  assert.throws(
    () => apiAccess(loadConfig({ NODE_ENV: 'production', API_KEYS: `a:${LOCAL_API_KEY}` })),
    /API_KEYS holds the local stack's published key/,
  );
});

test('API_PROCESSES: 1 by default, an integer from 1 to 64, or "auto" for one per core', () => {
  assert.equal(loadConfig({}).API_PROCESSES, 1, 'one process, no cluster');
  assert.equal(loadConfig({ API_PROCESSES: '4' }).API_PROCESSES, 4);
  assert.equal(loadConfig({ API_PROCESSES: '64' }).API_PROCESSES, 64);
  assert.equal(loadConfig({ API_PROCESSES: 'auto' }).API_PROCESSES, Math.min(64, availableParallelism()));
  for (const bad of ['0', '65', '1.5', 'two', '', 'AUTO']) {
    assert.throws(() => loadConfig({ API_PROCESSES: bad }), /at API_PROCESSES/, JSON.stringify(bad));
  }
  assert.throws(() => loadConfig({ API_PROCESSES: 'many' }), /expected an integer from 1 to 64, or "auto"/);
});
