import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../infra/config.ts';

test('defaults match the local stack and docker-compose.yml', () => {
  const config = loadConfig({});
  assert.equal(config.TEMPORAL_ADDRESS, 'localhost:7233');
  assert.deepEqual(config.KAFKA_BROKERS, ['localhost:9092']);
  assert.equal(config.S3_ENDPOINT, 'http://localhost:9000');
  assert.equal(config.DATABASE_URL, 'postgres://pinpipe:pinpipe@localhost:5432/pinpipe');
  assert.equal(config.API_PORT, 8000);
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
  assert.equal(config.API_KEY, undefined, 'empty key turns the check off');
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
