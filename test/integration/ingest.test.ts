// The ingest API against the stack's real Kafka, on fresh topics: what a 202 puts in Kafka (byte for
// byte, on the partition of its ind, in order), that nothing else gets there, and a graceful stop.
// Needs `npm run stack:up`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Partitioners, type Admin, type Kafka, type PartitionMetadata } from 'kafkajs';
import { pino } from 'pino';
import { createIngestService, type IngestService } from '../../api/service.ts';
import { loadConfig } from '../../infra/config.ts';
import { createKafka } from '../../infra/kafka.ts';
import { ensureTopics } from '../../infra/provision.ts';
import { ENTITIES, entityTopic, type Entity } from '../../domain/wire.ts';
import { request } from '../support/http.ts';
import { countRecords, readTopics, type ReadMessage } from '../support/kafka-read.ts';
import { freshName } from '../support/names.ts';
import { freePort } from '../support/net.ts';
import { geo, pin, readSample, user } from '../support/records.ts';
import { waitFor } from '../support/wait.ts';

const API_KEY = 'integration-key-0123';
const auth = { 'x-api-key': API_KEY };
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const prefix = freshName('test-ingest');
const topics = ENTITIES.map((e) => entityTopic(prefix, e));
const topicOf = (entity: Entity) => entityTopic(prefix, entity);
const startedAt = Date.now();

interface Posted {
  entity: Entity;
  value: string;
  ind: number;
}

const keyOf = (entity: Entity, record: Record<string, unknown>) =>
  Number(entity === 'pin' ? record.index : record.ind);

/** kafkajs's default partitioner (murmur2 of the key, like the Java client) on the topic's partitions. */
async function partitionerFor(admin: Admin): Promise<(topic: string, key: string) => number> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  const partitions = new Map(metadata.map((t) => [t.name, t.partitions as PartitionMetadata[]]));
  const partitioner = Partitioners.DefaultPartitioner();
  return (topic, key) =>
    partitioner({ topic, partitionMetadata: partitions.get(topic) ?? [], message: { key, value: null } });
}

describe('ingest API on the real Kafka', () => {
  let kafka: Kafka;
  let admin: Admin;
  let service: IngestService;
  let url: string;
  const posted: Posted[] = [];

  async function post(entity: Entity, record: Record<string, unknown>): Promise<void> {
    const res = await request(`${url}/v1/${entity}`, { body: record, headers: auth });
    assert.equal(res.status, 202, res.text);
    posted.push({ entity, value: JSON.stringify(record), ind: keyOf(entity, record) });
  }

  before(async () => {
    kafka = createKafka(config);
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { partitions: 3, replicationFactor: 1 });
    const log = pino({ level: 'silent' });
    service = createIngestService({ ...config, KAFKA_TOPIC_PREFIX: prefix, API_KEY: API_KEY }, log);
    const server = await service.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await service.close();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  test('/readyz turns ready once Kafka answers', async () => {
    await waitFor('ready', async () => ((await request(`${url}/readyz`)).status === 200 ? true : undefined));
  });

  test('posts of the real sample, concurrent and one after another, get 202', async () => {
    const sample = readSample();
    const rows = ENTITIES.flatMap((entity) => sample[entity].slice(0, 40).map((row) => ({ entity, row })));
    // Concurrent posts: the coalescing producer batches them.
    await Promise.all(rows.map(({ entity, row }) => post(entity, row as Record<string, unknown>)));
    // One post's events in sequence: they must keep this order in Kafka.
    for (let i = 0; i < 5; i++) {
      await post('geo', geo({ ind: 9_001, timestamp: `2021-01-0${i + 1} 10:00:00` }));
      await post('user', user({ ind: '9001', age: 30 + i }));
      await post('pin', pin({ index: 9_001, title: `title ${i}` }));
    }
  });

  test('the batch endpoint puts all of a batch in Kafka with one 202', async () => {
    const records = Array.from({ length: 300 }, (_, i) => {
      const entity = ENTITIES[i % 3]!;
      const data =
        entity === 'pin'
          ? pin({ index: 20_000 + i })
          : entity === 'geo'
            ? geo({ ind: 20_000 + i })
            : user({ ind: 20_000 + i });
      return { entity, data };
    });
    const res = await request(`${url}/v1/events`, { body: { records }, headers: auth });
    assert.equal(res.status, 202, res.text);
    assert.deepEqual(res.body, { accepted: 300 });
    for (const { entity, data } of records)
      posted.push({ entity, value: JSON.stringify(data), ind: keyOf(entity, data) });
  });

  test('bad input and unauthenticated posts leave every topic unchanged', async () => {
    const before = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
    const bad: [string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number][] = [
      ['/v1/geo', { body: geo({ latitude: 200 }), headers: auth }, 400],
      ['/v1/pin', { body: pin({ follower_count: 'lots' }), headers: auth }, 400],
      ['/v1/user', { body: { ...user(), extra: 1 }, headers: auth }, 400],
      ['/v1/user', { raw: '{"ind":', headers: auth }, 400],
      ['/v1/geo', { raw: 'ind=1', headers: { ...auth, 'content-type': 'text/plain' } }, 415],
      ['/v1/pin', { body: pin({ description: 'x'.repeat(100_000) }), headers: auth }, 413],
      ['/v1/board', { body: geo(), headers: auth }, 404],
      ['/v1/geo', { body: geo() }, 401],
      ['/v1/geo', { body: geo(), headers: { 'x-api-key': 'wrong-key' } }, 401],
      [
        '/v1/events',
        {
          body: {
            records: [
              { entity: 'geo', data: geo() },
              { entity: 'user', data: user({ age: -1 }) },
            ],
          },
          headers: auth,
        },
        400,
      ],
      ['/v1/events', { body: { records: [{ entity: 'geo', data: geo() }] } }, 401],
    ];
    for (const [path, init, status] of bad) {
      const res = await request(`${url}${path}`, init);
      assert.equal(res.status, status, `${path}: ${res.text}`);
    }
    const afterOffsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
    assert.deepEqual(afterOffsets, before);
  });

  test('Kafka holds exactly the accepted records, byte for byte, on the partition of their ind, in order', async () => {
    const expected = posted.length;
    assert.equal(await countRecords(admin, topics), expected, 'no more and no fewer records than accepted');
    const messages = await readTopics(kafka, topics, expected);
    const partitionOf = await partitionerFor(admin);

    const got = (m: ReadMessage) => `${m.topic}\n${m.value}`;
    const want = (p: Posted) => `${topicOf(p.entity)}\n${p.value}`;
    assert.deepEqual(messages.map(got).sort(), posted.map(want).sort());

    const entityOf = new Map(ENTITIES.map((e) => [topicOf(e), e]));
    for (const m of messages) {
      const entity = entityOf.get(m.topic)!;
      const ind = keyOf(entity, JSON.parse(m.value) as Record<string, unknown>);
      assert.equal(m.key, String(ind));
      assert.equal(m.partition, partitionOf(m.topic, m.key), `partition of ind ${ind}`);
      assert.match(m.headers['request-id'] ?? '', /^[0-9a-f-]{36}$/, 'request-id header');
      assert.ok(Math.abs(m.timestamp - startedAt) < 120_000, 'timestamp: when the API received it');
    }
    // The sequential posts of ind 9001 are in their order, on one partition per topic.
    for (const entity of ENTITIES) {
      const inKafka = messages.filter((m) => m.topic === topicOf(entity) && m.key === '9001');
      const sent = posted.filter((p) => p.entity === entity && p.ind === 9_001);
      assert.equal(new Set(inKafka.map((m) => m.partition)).size, 1);
      assert.deepEqual(
        inKafka.map((m) => m.value),
        sent.map((p) => p.value),
      );
    }
  });

  test('a batch whose records of one partition exceed the broker limit is a 413 naming it, for it alone', async () => {
    // 1,000 records of one post (one partition): the body fits the API's 1 MiB, but with Kafka's
    // per-record overhead their batch is over the topic's max.message.bytes (1,048,588 by default).
    const base = pin({ index: 4242, description: '' });
    const filler = 1_020 - JSON.stringify(base).length;
    const records = Array.from({ length: 1_000 }, () => ({
      entity: 'pin',
      data: { ...base, description: 'd'.repeat(filler) },
    }));
    const small = { records: [{ entity: 'geo', data: geo({ ind: 4243 }) }] };
    const [tooLarge, beside] = await Promise.all([
      request(`${url}/v1/events`, { body: { records }, headers: auth }),
      request(`${url}/v1/events`, { body: small, headers: auth }),
    ]);
    assert.equal(tooLarge.status, 413, tooLarge.text);
    assert.equal((tooLarge.body as { error: string }).error, 'records_too_large');
    assert.match(
      (tooLarge.body as { message: string }).message,
      /1048588 bytes per batch \(max\.message\.bytes\)/,
    );
    assert.equal(beside.status, 202, 'a request beside it is not refused');
    posted.push({ entity: 'geo', value: JSON.stringify(small.records[0]!.data), ind: 4243 });
    // No cooldown: the next request is accepted at once.
    await post('user', user({ ind: 4244 }));
  });
});

/** A POST whose body is sent in two halves: the second when `finish()` is called. */
function slowPost(url: string, body: string, headers: Record<string, string>) {
  const half = Math.floor(body.length / 2);
  const req = httpRequest(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
  req.write(body.slice(0, half));
  return {
    headersSent: new Promise<void>((resolve) =>
      req.once('socket', (s) => s.once('connect', () => setTimeout(resolve, 100))),
    ),
    finish: () => {
      req.end(body.slice(half));
      return response;
    },
  };
}

/** `api/server.ts` as a process of its own, producing to fresh topics; `close()` kills it and deletes them. */
async function startApiProcess(name: string, env: NodeJS.ProcessEnv) {
  const prefix = freshName(name);
  const topics = ENTITIES.map((e) => entityTopic(prefix, e));
  const admin = createKafka(config).admin();
  await admin.connect();
  await ensureTopics(admin, topics, { partitions: 3, replicationFactor: 1 });
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    env: {
      ...process.env,
      API_PORT: String(port),
      KAFKA_TOPIC_PREFIX: prefix,
      API_KEY: API_KEY,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const api = {
    child,
    admin,
    topics,
    url: `http://127.0.0.1:${port}`,
    /** Everything the process (and its children) printed so far. */
    output: '',
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    async close() {
      child.kill('SIGKILL');
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
  child.stdout.on('data', (chunk: Buffer) => (api.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (api.output += chunk.toString()));
  return api;
}

describe('api/server.ts on SIGTERM', () => {
  test('finishes the requests in flight, flushes, and exits 0', async () => {
    const api = await startApiProcess('test-ingest-stop', {});
    const { child, admin, topics: stopTopics, url, exited } = api;
    try {
      await waitFor(
        'the API',
        async () =>
          (await request(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined,
        30_000,
      );
      const before = await countRecords(admin, stopTopics);
      // A request in flight at SIGTERM: its body is only half sent when the signal arrives.
      const body = JSON.stringify(user({ ind: 30_000 }));
      const slow = slowPost(`${url}/v1/user`, body, auth);
      await slow.headersSent;
      child.kill('SIGTERM');
      await sleep(300);
      const status = await slow.finish();
      assert.equal(status, 202);
      assert.equal(await exited, 0, api.output);
      assert.equal((await countRecords(admin, stopTopics)) - before, 1, 'the in-flight record is in Kafka');
      assert.match(api.output, /"msg":"stopped"/);
    } finally {
      await api.close();
    }
  });
});

describe('api/server.ts with API_PROCESSES=2', () => {
  test('both processes produce, /metrics counts every record, SIGTERM drains both and exits 0', async () => {
    const api = await startApiProcess('test-ingest-cluster', {
      API_PROCESSES: '2',
      API_READ_KEYS: '',
      NODE_ENV: 'development',
    });
    const { child, admin, topics: clusterTopics, url, exited } = api;
    try {
      await waitFor(
        'both API processes',
        async () => (/"msg":"API processes listening"/.test(api.output) ? true : undefined),
        30_000,
      );
      // A connection each (`connection: close`): the cluster hands them to the two processes in turn.
      const posts = 20;
      for (let i = 0; i < posts; i++) {
        const body = JSON.stringify(geo({ ind: 40_000 + i }));
        const status = await slowPost(`${url}/v1/geo`, body, { ...auth, connection: 'close' }).finish();
        assert.equal(status, 202);
      }
      const pids = new Set(
        api.output
          .split('\n')
          .filter((line) => line.includes('"path":"/v1/geo"'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      );
      assert.equal(pids.size, 2, 'both processes served');
      const metrics = (await request(`${url}/metrics`)).text;
      assert.match(metrics, new RegExp(`^ingest_records_produced_total\\{entity="geo"\\} ${posts}$`, 'm'));

      const before = await countRecords(admin, clusterTopics);
      const inFlight = [0, 1].map((i) =>
        slowPost(`${url}/v1/user`, JSON.stringify(user({ ind: 41_000 + i })), {
          ...auth,
          connection: 'close',
        }),
      );
      await Promise.all(inFlight.map((p) => p.headersSent));
      child.kill('SIGTERM');
      await sleep(300);
      assert.deepEqual(await Promise.all(inFlight.map((p) => p.finish())), [202, 202]);
      assert.equal(await exited, 0, api.output);
      assert.equal(
        (await countRecords(admin, clusterTopics)) - before,
        2,
        'the in-flight records are in Kafka',
      );
      assert.equal(api.output.match(/"msg":"stopped"/g)?.length, 2, 'each process drained');
    } finally {
      await api.close();
    }
  });
});
