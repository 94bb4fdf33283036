// Kafka goes down and comes back: the API answers 503 with Retry-After while it is down, recovers
// by itself, and Kafka ends up with every record that got a 202 exactly once and none that got a
// 503. Runs a private broker (test/support/kafka-broker.ts): the shared one is never stopped.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { createIngestService, type IngestService } from '../../api/service.ts';
import { loadConfig } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { ensureTopics } from '../../infra/provision.ts';
import { ENTITIES, entityTopic } from '../../domain/wire.ts';
import { request, type JsonResponse } from '../support/http.ts';
import { createPrivateBroker, type PrivateBroker } from '../support/kafka-broker.ts';
import { countRecords, readTopics } from '../support/kafka-read.ts';
import { freshName } from '../support/names.ts';
import { geo } from '../support/records.ts';
import { waitFor } from '../support/wait.ts';

const API_KEY = 'outage-key-0123456';
const prefix = freshName('test-outage');
const topics = ENTITIES.map((e) => entityTopic(prefix, e));

describe('ingest API while Kafka goes down and comes back', () => {
  let broker: PrivateBroker;
  let kafka: Kafka;
  let admin: Admin;
  let service: IngestService;
  let url: string;
  let sequence = 0;
  const accepted: string[] = [];
  const refused: string[] = [];

  /** Posts a geo record unique to this run; files its value under accepted (202) or refused. */
  async function post(): Promise<JsonResponse> {
    const record = geo({
      ind: sequence % 50,
      timestamp: `2022-01-01 00:00:${String(sequence % 60).padStart(2, '0')}`,
      latitude: sequence / 1_000,
    });
    sequence++;
    const res = await request(`${url}/v1/geo`, { body: record, headers: { 'x-api-key': API_KEY } });
    if (res.status === 202) accepted.push(JSON.stringify(record));
    else refused.push(JSON.stringify(record));
    return res;
  }

  before(async () => {
    broker = await createPrivateBroker();
    await broker.start();
    const config = loadConfig({ ...process.env, KAFKA_BROKERS: broker.address, LOG_LEVEL: 'silent' });
    kafka = createKafka(config);
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { partitions: 3, replicationFactor: 1 });
    service = createIngestService(
      { ...config, KAFKA_TOPIC_PREFIX: prefix, API_KEY },
      pino({ level: 'silent' }),
    );
    const server = await service.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await service?.close();
    await admin?.disconnect();
    await broker?.destroy();
  });

  test('accepts records while Kafka is up', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => post()));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([202]));
  });

  test('answers 503 with Retry-After while Kafka is down, and /readyz says not ready', async () => {
    await broker.stop();
    const started = Date.now();
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => post()));
    const sequential: JsonResponse[] = [];
    for (let i = 0; i < 10; i++) sequential.push(await post());
    for (const res of [...concurrent, ...sequential]) {
      assert.equal(res.status, 503, res.text);
      assert.match((res.body as { error: string }).error, /^kafka_(unavailable|timeout)$/);
      assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
    }
    assert.ok(Date.now() - started < 30_000, 'the 503s come within seconds');
    await waitFor('/readyz 503', async () =>
      (await request(`${url}/readyz`)).status === 503 ? true : undefined,
    );
    assert.equal((await request(`${url}/healthz`)).status, 200, 'the process stays up');
  });

  test('recovers by itself when Kafka is back', async () => {
    await broker.start();
    await waitFor(
      'a 202 after the restart',
      async () => ((await post()).status === 202 ? true : undefined),
      60_000,
    );
    const results = await Promise.all(Array.from({ length: 50 }, () => post()));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([202]));
    await waitFor('/readyz 200', async () =>
      (await request(`${url}/readyz`)).status === 200 ? true : undefined,
    );
  });

  test('Kafka holds every 202 record exactly once and none of the 503 ones', async () => {
    assert.ok(refused.length >= 30);
    assert.equal(await countRecords(admin, topics), accepted.length, 'one record per 202, no duplicates');
    const values = (await readTopics(kafka, topics, accepted.length)).map((m) => m.value);
    assert.deepEqual([...values].sort(), [...accepted].sort());
    const inKafka = new Set(values);
    assert.deepEqual(
      refused.filter((v) => inKafka.has(v)),
      [],
      'no refused record reached Kafka',
    );
  });
});
