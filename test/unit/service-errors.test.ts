// Which third-party errors are outages (retried as PostgresUnavailable, KafkaUnavailable,
// S3Unavailable; 503 from the serving endpoints) and which are not (they fail as themselves).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { asServiceFailure, isPostgresOutage } from '../../activities/errors.ts';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), { code });

test('PostgreSQL unreachable, restarting, out of connections or not answering is an outage', () => {
  for (const err of [
    pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    pgError('terminating connection due to administrator command', '57P01'),
    pgError('the database system is starting up', '57P03'),
    pgError('sorry, too many clients already', '53300'),
    pgError('Connection terminated unexpectedly'),
    pgError('timeout exceeded when trying to connect'),
  ]) {
    assert.equal(isPostgresOutage(err), true, err.message);
  }
});

test('an SQL error is not an outage: retrying cannot fix it', () => {
  for (const err of [
    pgError('relation "batch.nope" does not exist', '42P01'),
    pgError('duplicate key value violates unique constraint "pin_pkey"', '23505'),
    pgError('syntax error at or near "SELEC"', '42601'),
  ]) {
    assert.equal(isPostgresOutage(err), false, err.message);
  }
});

test('asServiceFailure names the service in a typed retryable failure, and leaves other errors alone', () => {
  const outage = asServiceFailure('postgres', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'));
  assert.ok(outage instanceof ApplicationFailure);
  assert.equal(outage.type, 'PostgresUnavailable');
  assert.equal(outage.nonRetryable, false);
  assert.match(outage.message, /^postgres unavailable: connect ECONNREFUSED/);

  const kafka = asServiceFailure(
    'kafka',
    Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError' }),
  );
  assert.equal((kafka as ApplicationFailure).type, 'KafkaUnavailable');

  const sqlError = pgError('syntax error', '42601');
  assert.equal(asServiceFailure('postgres', sqlError), sqlError);
});
