// Which third-party errors are outages (retried as PostgresUnavailable, KafkaUnavailable,
// S3Unavailable; 503 from the serving endpoints) and which are not (they fail as themselves).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { asServiceFailure, isKafkaOutage } from '../../activities/errors.ts';
import { describeDataError, isPostgresDataError, isPostgresOutage } from '../../infra/db.ts';

const pgError = (message: string, code?: string) => Object.assign(new Error(message), { code });

test('PostgreSQL unreachable, restarting, out of connections or not answering is an outage', () => {
  for (const err of [
    pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    pgError('terminating connection due to administrator command', '57P01'),
    pgError('the database system is starting up', '57P03'),
    pgError('sorry, too many clients already', '53300'),
    pgError('Connection terminated unexpectedly'),
    pgError('timeout exceeded when trying to connect'),
    pgError('Query read timeout'),
    pgError('canceling statement due to statement timeout', '57014'),
    pgError('deadlock detected', '40P01'),
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
    Object.assign(new Error('broker down'), { name: 'KafkaJSConnectionError', retriable: true }),
  );
  assert.equal((kafka as ApplicationFailure).type, 'KafkaUnavailable');

  const sqlError = pgError('syntax error', '42601');
  assert.equal(asServiceFailure('postgres', sqlError), sqlError);
});

test("a data error is the record's fault: classes 22 and 23, described without the value", () => {
  const err = Object.assign(pgError('value "99999999999" is out of range for type integer', '22003'), {
    column: 'age',
  });
  assert.equal(isPostgresDataError(err), true);
  assert.equal(isPostgresOutage(err), false);
  assert.equal(
    describeDataError(err as never),
    'age: PostgreSQL refused it (22003 numeric_value_out_of_range)',
  );
  const json = pgError('invalid input syntax for type json', '22P02');
  assert.equal(
    describeDataError(json as never),
    'record: PostgreSQL refused it (22P02 invalid_text_representation)',
  );
  for (const code of ['42P01', '08006', '57P01', undefined]) {
    assert.equal(isPostgresDataError(pgError('x', code)), false, String(code));
  }
});

const kafkaError = (name: string, retriable: boolean, cause?: Error) =>
  Object.assign(new Error(name), { name, retriable, cause });

test('a Kafka outage is what kafkajs calls retriable or gave up retrying; a refused message is not', () => {
  assert.equal(isKafkaOutage(kafkaError('KafkaJSConnectionError', true)), true);
  assert.equal(isKafkaOutage(kafkaError('KafkaJSRequestTimeoutError', true)), true);
  assert.equal(
    isKafkaOutage(
      kafkaError('KafkaJSNumberOfRetriesExceeded', false, kafkaError('KafkaJSConnectionError', true)),
    ),
    true,
  );
  assert.equal(isKafkaOutage(kafkaError('KafkaJSNumberOfRetriesExceeded', false)), true);
  // MESSAGE_TOO_LARGE, INVALID_TIMESTAMP: retrying sends the same refused message again.
  assert.equal(isKafkaOutage(kafkaError('KafkaJSProtocolError', false)), false);
  assert.equal(isKafkaOutage(new Error('not from kafkajs')), false);
});
