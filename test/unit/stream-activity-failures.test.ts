// The micro-batch activity's failures as the workflow sees them, run in the SDK's
// MockActivityEnvironment: a bad input ends the stream (non-retryable, StreamInputInvalid), an
// outage is typed by the service that is down and stays retryable. The services here are stand-ins
// that fail the way kafkajs and node-postgres do; the real outages are in test/integration/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import kafkajs, { type Admin } from 'kafkajs';
import { createStreamActivities } from '../../activities/stream.ts';
import type { StreamReader } from '../../activities/stream-reader.ts';
import { FAILURES } from '../../domain/failures.ts';
import type { Pool } from '../../infra/db.ts';
import { streamInputFor } from '../support/stream-input.ts';

const streamInput = (overrides = {}) => streamInputFor('unit', 'speed', 'pin', overrides);

const unused = <T>(what: string): T => new Proxy({}, { get: () => assert.fail(`${what} was used`) }) as T;

function activities(deps: { admin?: Admin; pool?: Pool }) {
  return createStreamActivities({
    admin: deps.admin ?? unused<Admin>('Kafka'),
    pool: deps.pool ?? unused<Pool>('PostgreSQL'),
    reader: unused<StreamReader>('the reader'),
    producer: unused('the producer'),
  });
}

async function failureOf(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run().then(
    () => assert.fail('the micro-batch should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, not ${String(err)}`);
  return err;
}

test('a schema that is not an identifier ends the stream: StreamInputInvalid, non-retryable', async () => {
  const { runMicroBatch } = activities({});
  const input = streamInput({ schema: 'speed; DROP TABLE pin' });
  const failure = await failureOf(() => new MockActivityEnvironment().run(runMicroBatch, input));
  assert.equal(failure.type, FAILURES.StreamInputInvalid);
  assert.equal(failure.nonRetryable, true);
  assert.match(failure.message, /lower-case PostgreSQL identifier/);
});

test('Kafka down: KafkaUnavailable, retryable, with kafkajs error as its cause', async () => {
  const down = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
  const admin = { fetchTopicOffsets: () => Promise.reject(down) } as unknown as Admin;
  const { runMicroBatch } = activities({ admin });
  const failure = await failureOf(() => new MockActivityEnvironment().run(runMicroBatch, streamInput()));
  assert.equal(failure.type, FAILURES.KafkaUnavailable);
  assert.equal(failure.nonRetryable, false);
  assert.equal(failure.cause, down);
});

test('PostgreSQL down: PostgresUnavailable, retryable', async () => {
  const admin = {
    fetchTopicOffsets: () => Promise.resolve([{ partition: 0, offset: '5', high: '5', low: '0' }]),
  } as unknown as Admin;
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const pool = {
    query: () => Promise.reject(refused),
    connect: () => Promise.reject(refused),
  } as unknown as Pool;
  const { runMicroBatch } = activities({ admin, pool });
  const failure = await failureOf(() => new MockActivityEnvironment().run(runMicroBatch, streamInput()));
  assert.equal(failure.type, FAILURES.PostgresUnavailable);
  assert.equal(failure.nonRetryable, false);
});
