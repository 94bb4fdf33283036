// Which third-party errors are outages (retried as PostgresUnavailable, KafkaUnavailable,
// S3Unavailable; 503 from the serving endpoints) and which are not (they fail as themselves).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import kafkajs from 'kafkajs';
import { asServiceFailure, narrowPostgres } from '../../activities/errors.ts';
import { FAILURES, OUTAGE_FAILURES, PERMANENT_FAILURES } from '../../domain/failures.ts';
import {
  describeDataError,
  isKafkaOutage,
  isPostgresDataError,
  isPostgresOutage,
  isPostgresPermanent,
  isS3Misconfigured,
  isS3Outage,
} from '../../infra/outages.ts';

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

  const kafka = asServiceFailure('kafka', new kafkajs.KafkaJSConnectionError('broker down'));
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

const {
  KafkaJSConnectionError,
  KafkaJSRequestTimeoutError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSLockTimeout,
} = kafkajs;

test('a Kafka outage is what kafkajs calls retriable or gave up retrying; a refused message is not', () => {
  const broken = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  assert.equal(isKafkaOutage(broken), true);
  assert.equal(isKafkaOutage(new KafkaJSRequestTimeoutError('Request Produce(key: 0) timed out')), true);
  const gaveUp = new KafkaJSNumberOfRetriesExceeded(broken, { retryCount: 5, retryTime: 3_000 });
  assert.equal(gaveUp.retriable, false);
  assert.equal(isKafkaOutage(gaveUp), true);
  assert.equal(
    isKafkaOutage(
      new (KafkaJSLockTimeout as unknown as new (message: string) => Error)('Timeout while acquiring lock'),
    ),
    true,
  );
  // An outage wrapped by our own code stays one: the innermost kafkajs error decides.
  assert.equal(isKafkaOutage(new Error('fetch failed', { cause: broken })), true);
  // MESSAGE_TOO_LARGE, INVALID_TIMESTAMP: retrying sends the same refused message again.
  // kafkajs builds it from the broker's error code's entry (its types declare only a message).
  const protocolError = KafkaJSProtocolError as unknown as new (e: object) => Error;
  const tooLarge = new protocolError({
    message: 'The request included a message larger than the max message size the server will accept',
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    retriable: false,
  });
  assert.equal(isKafkaOutage(tooLarge), false);
  // A KafkaJS-looking name is not enough: only kafkajs's own errors say what Kafka meant.
  assert.equal(
    isKafkaOutage(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError', retriable: true })),
    false,
  );
  assert.equal(isKafkaOutage(new Error('not from kafkajs')), false);
});

const s3Error = (name: string, status?: number, code?: string) =>
  Object.assign(new Error(name), {
    name,
    code,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

test('an S3 outage is a network error, a 5xx or 429; a missing bucket or refused credentials are not', () => {
  assert.equal(isS3Outage(s3Error('InternalError', 500)), true);
  assert.equal(isS3Outage(s3Error('SlowDown', 503)), true);
  assert.equal(isS3Outage(s3Error('TooManyRequests', 429)), true);
  assert.equal(isS3Outage(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), true);
  assert.equal(isS3Outage(s3Error('TimeoutError')), true, 'no status: the request never got an answer');
  for (const err of [s3Error('NoSuchBucket', 404), s3Error('AccessDenied', 403), s3Error('Whatever', 403)]) {
    assert.equal(isS3Outage(err), false, err.name);
    assert.equal(isS3Misconfigured(err), true, err.name);
  }
  assert.equal(isS3Misconfigured(s3Error('NoSuchKey', 404)), false);
});

test('a statement PostgreSQL refuses for good (classes 42, 22, 23) is a permanent batch failure', () => {
  for (const code of ['42P01', '42601', '22003', '23505']) {
    assert.equal(isPostgresPermanent(pgError('x', code)), true, code);
    const failure = narrowPostgres(pgError('x', code));
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, FAILURES.BatchSqlRejected);
    assert.equal(failure.nonRetryable, true);
  }
  const outage = narrowPostgres(pgError('connect ECONNREFUSED', 'ECONNREFUSED'));
  assert.equal((outage as ApplicationFailure).type, FAILURES.PostgresUnavailable);
  assert.equal((outage as ApplicationFailure).nonRetryable, false);
  assert.equal(isPostgresPermanent(pgError('x', '57P01')), false);
});

test('the failure catalogue: one PascalCase name per type, each either an outage or permanent, never both', () => {
  for (const [key, type] of Object.entries(FAILURES)) {
    assert.equal(type, key);
    assert.match(type, /^[A-Z][A-Za-z0-9]+$/);
  }
  for (const type of OUTAGE_FAILURES) assert.equal(PERMANENT_FAILURES.includes(type), false, type);
  assert.ok(PERMANENT_FAILURES.includes(FAILURES.BatchDayExpired));
  assert.ok(PERMANENT_FAILURES.includes(FAILURES.StreamInputInvalid));
  assert.equal(PERMANENT_FAILURES.includes(FAILURES.StreamCheckpointMoved), false);
});
