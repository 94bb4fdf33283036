// The ingest API over HTTP with a fake producer: what it accepts, what it rejects and how it says so.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import type { ApiAccess } from '../../api/auth.ts';
import {
  KafkaUnavailableError,
  ProduceTimeoutError,
  ProducerClosedError,
  QueueFullError,
} from '../../api/errors.ts';
import { closeServer, listen } from '../../api/http-server.ts';
import { LIMITS } from '../../api/limits.ts';
import { createMetrics } from '../../api/metrics.ts';
import type { Readiness, ReadinessReport } from '../../api/readiness.ts';
import { loadConfig } from '../../infra/config.ts';
import { FakeProducer } from '../support/fake-producer.ts';
import { request, serve, type Served } from '../support/http.ts';
import { geo, pin, readSample, user } from '../support/records.ts';

const API_KEY = 'test-key-0123456789';
const auth = { 'x-api-key': API_KEY };

interface ErrorBody {
  error: string;
  message: string;
  issues?: { path: string; message: string; index?: number }[];
}

function fixedReadiness(report: Partial<ReadinessReport> = {}): Readiness {
  return {
    check: async () => ({ ready: true, kafka: 'ok', shuttingDown: false, ...report }),
    markShuttingDown: () => undefined,
  };
}

/** One write key named "test"; reads open, as on a developer's machine. */
function accessFor(apiKey: string | undefined): ApiAccess | undefined {
  return apiKey === undefined
    ? undefined
    : { write: [{ name: 'test', key: apiKey }], read: [], readsNeedKey: false };
}

async function startApp(opts: { apiKey?: string | undefined; readiness?: Readiness } = {}) {
  const producer = new FakeProducer();
  const metrics = createMetrics();
  const app = createApp({
    producer,
    readiness: opts.readiness ?? fixedReadiness(),
    metrics,
    log: pino({ level: 'silent' }),
    access: accessFor('apiKey' in opts ? opts.apiKey : API_KEY),
    topicPrefix: 'unit',
  });
  return { producer, metrics, served: await serve(app) };
}

describe('ingest API (fake producer)', () => {
  let producer: FakeProducer;
  let served: Served;
  let url: string;

  before(async () => {
    ({ producer, served } = await startApp());
    url = served.url;
  });
  after(() => served.close());
  beforeEach(() => {
    producer.produced.length = 0;
    producer.failWith = undefined;
  });

  test('a valid record gets 202 and becomes one message: topic, key, value as received, request id', async () => {
    const record = pin({ index: '7528', follower_count: '1.5k' });
    const res = await request(`${url}/v1/pin`, {
      body: record,
      headers: { ...auth, 'x-request-id': 'req-1' },
    });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { accepted: 1 });
    assert.equal(res.headers.get('x-request-id'), 'req-1');
    const [message] = producer.messages;
    assert.ok(message);
    assert.equal(message.topic, 'unit.pin');
    assert.equal(message.key, '7528');
    // Forwarded as received: the digit-string index stays a string.
    assert.equal(message.value, JSON.stringify(record));
    assert.deepEqual(message.headers, { 'request-id': 'req-1' });
    // The message timestamp is when the request arrived.
    assert.ok(Math.abs(Number(message.timestamp) - Date.now()) < 5_000);
  });

  test('each entity has its endpoint and topic; geo and user are keyed by ind', async () => {
    for (const [entity, record] of [
      ['geo', geo({ ind: 42 })],
      ['user', user({ ind: 42 })],
    ] as const) {
      const res = await request(`${url}/v1/${entity}`, { body: record, headers: auth });
      assert.equal(res.status, 202, entity);
    }
    assert.deepEqual(
      producer.messages.map((m) => [m.topic, m.key]),
      [
        ['unit.geo', '42'],
        ['unit.user', '42'],
      ],
    );
  });

  test('the batch endpoint produces every record in one call, in order', async () => {
    const records = [
      { entity: 'pin', data: pin({ index: 1 }) },
      { entity: 'geo', data: geo({ ind: 1 }) },
      { entity: 'user', data: user({ ind: 1 }) },
      { entity: 'geo', data: geo({ ind: 2 }) },
    ];
    const res = await request(`${url}/v1/events`, { body: { records }, headers: auth });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { accepted: 4 });
    assert.equal(producer.produced.length, 1, 'one produce call for the whole batch');
    assert.deepEqual(
      producer.messages.map((m) => [m.topic, m.key, m.value]),
      records.map((r) => [
        `unit.${r.entity}`,
        r.entity === 'pin' ? '1' : String(r.data.ind),
        JSON.stringify(r.data),
      ]),
    );
  });

  test('a batch with invalid records is refused whole, naming each record and field', async () => {
    const records = [
      { entity: 'geo', data: geo() },
      { entity: 'geo', data: geo({ latitude: 200 }) },
      { entity: 'user', data: user({ age: 'twenty' }) },
      { entity: 'board', data: {} },
      { entity: 'pin', data: pin({ follower_count: '10x' }) },
    ];
    const res = await request(`${url}/v1/events`, { body: { records }, headers: auth });
    assert.equal(res.status, 400);
    const body = res.body as ErrorBody;
    assert.equal(body.error, 'validation_failed');
    const found = (body.issues ?? []).map((i) => [i.index, i.path]);
    assert.deepEqual(found, [
      [1, 'records.1.data.latitude'],
      [2, 'records.2.data.age'],
      [3, 'records.3.entity'],
      [4, 'records.4.data.follower_count'],
    ]);
    assert.equal(producer.produced.length, 0, 'nothing of an invalid batch is produced');
  });

  test('a batch must hold 1 to the maximum number of records', async () => {
    const tooMany = Array.from({ length: LIMITS.maxBatchRecords + 1 }, () => ({
      entity: 'user',
      data: user(),
    }));
    for (const records of [[], tooMany]) {
      const res = await request(`${url}/v1/events`, { body: { records }, headers: auth });
      assert.equal(res.status, 400);
      assert.equal((res.body as ErrorBody).issues?.[0]?.path, 'records');
    }
    const wrongShape = await request(`${url}/v1/events`, { body: [user()], headers: auth });
    assert.equal(wrongShape.status, 400);
    assert.equal(producer.produced.length, 0);
  });

  test('malformed JSON is a 400 that says so', async () => {
    const res = await request(`${url}/v1/geo`, { raw: '{"ind": 1,', headers: auth });
    assert.equal(res.status, 400);
    assert.equal((res.body as ErrorBody).error, 'malformed_json');
    assert.match((res.body as ErrorBody).message, /not valid JSON/);
  });

  test('a body that is not JSON is a 415', async () => {
    const res = await request(`${url}/v1/geo`, {
      raw: 'ind=1',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 415);
    assert.equal((res.body as ErrorBody).error, 'unsupported_media_type');
  });

  test('a body over the limit is a 413', async () => {
    const big = pin({ description: 'x'.repeat(LIMITS.singleBodyBytes) });
    const single = await request(`${url}/v1/pin`, { body: big, headers: auth });
    assert.equal(single.status, 413);
    assert.equal((single.body as ErrorBody).error, 'payload_too_large');
    const records = Array.from({ length: 1_000 }, () => ({
      entity: 'pin',
      data: pin({ description: 'y'.repeat(2_000) }),
    }));
    const batch = await request(`${url}/v1/events`, { body: { records }, headers: auth });
    assert.equal(batch.status, 413);
    assert.equal(producer.produced.length, 0);
  });

  test('unknown entities and routes are 404; a wrong method is 405 with Allow', async () => {
    const entity = await request(`${url}/v1/board`, { body: {}, headers: auth });
    assert.equal(entity.status, 404);
    assert.match((entity.body as ErrorBody).message, /unknown entity 'board'/);
    const route = await request(`${url}/v2/pin`, { body: pin(), headers: auth });
    assert.equal(route.status, 404);
    const method = await request(`${url}/v1/pin`);
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'POST');
    assert.equal(producer.produced.length, 0);
  });

  test('write endpoints need the API key: 401 without it or with a wrong one', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong' }, { 'x-api-key': `${API_KEY}x` }] as Record<
      string,
      string
    >[]) {
      const res = await request(`${url}/v1/geo`, { body: geo(), headers });
      assert.equal(res.status, 401);
      assert.equal((res.body as ErrorBody).error, 'unauthorized');
    }
    assert.equal(producer.produced.length, 0);
    // Health, readiness, metrics and the document stay open.
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      assert.equal((await request(`${url}${path}`)).status, 200, path);
    }
  });

  test('producer failures become 503 with Retry-After; nothing is acknowledged', async () => {
    const cases: [Error, string, string][] = [
      [new KafkaUnavailableError('Kafka send failed', 1), 'kafka_unavailable', '1'],
      [new QueueFullError(10, 10), 'queue_full', '1'],
      [new ProduceTimeoutError('sending', 10_000), 'kafka_timeout', '2'],
      [new ProducerClosedError(), 'shutting_down', '5'],
    ];
    for (const [error, code, retryAfter] of cases) {
      producer.failWith = error;
      const res = await request(`${url}/v1/geo`, { body: geo(), headers: auth });
      assert.equal(res.status, 503, code);
      assert.equal((res.body as ErrorBody).error, code);
      assert.equal(res.headers.get('retry-after'), retryAfter);
    }
  });

  test('responses say nosniff and nothing about the server, and allow no other origin', async () => {
    for (const res of [
      await request(`${url}/v1/pin`, { body: pin(), headers: { ...auth, origin: 'https://evil.example' } }),
      await request(`${url}/healthz`, { headers: { origin: 'https://evil.example' } }),
      await request(`${url}/no-such-route`),
    ]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    }
  });

  test('an unexpected error is a generic 500 that does not echo its message', async () => {
    producer.failWith = new Error('secret detail: password=hunter2');
    const res = await request(`${url}/v1/geo`, { body: geo(), headers: auth });
    assert.equal(res.status, 500);
    assert.equal((res.body as ErrorBody).error, 'internal_error');
    assert.doesNotMatch(res.text, /secret|hunter2/);
  });
});

describe('ingest API: schema acceptance and rejections', () => {
  let producer: FakeProducer;
  let served: Served;

  before(async () => ({ producer, served } = await startApp()));
  after(() => served.close());
  beforeEach(() => {
    producer.produced.length = 0;
  });

  const dirty: [string, 'pin' | 'geo' | 'user', Record<string, unknown>][] = [
    ['all pin placeholders at once', 'pin', pin()],
    ['empty title', 'pin', pin({ title: '' })],
    ['description placeholder', 'pin', pin({ description: 'No description available' })],
    ['truncated description with a no-break space', 'pin', pin({ description: 'Some artists… ' })],
    ...['9', '99', '999', '9k', '999k', '1M', '15M', '1.5k'].map(
      (fc) =>
        [`follower_count ${fc}`, 'pin', pin({ poster_name: 'Bored Panda', follower_count: fc })] as [
          string,
          'pin',
          Record<string, unknown>,
        ],
    ),
    ['follower_count as a number', 'pin', pin({ follower_count: 10 })],
    ['index as digits', 'pin', pin({ index: '7528', downloaded: '1' })],
    [
      'image video',
      'pin',
      pin({ is_image_or_video: 'video', image_src: 'https://i.pinimg.com/x.jpg', downloaded: 1 }),
    ],
    ['ISO 8601 timestamp', 'geo', geo({ timestamp: '2020-08-28T03:52:47Z' })],
    ['country with an apostrophe', 'geo', geo({ country: "Cote d'Ivoire" })],
    ['ind as digits', 'geo', geo({ ind: '12' })],
    ['age as digits', 'user', user({ age: '20' })],
    ['ISO date_joined with an offset', 'user', user({ date_joined: '2015-10-24T11:23:51+02:00' })],
  ];
  for (const [name, entity, record] of dirty) {
    test(`accepts dirty raw data: ${name}`, async () => {
      const res = await request(`${served.url}/v1/${entity}`, { body: record, headers: auth });
      assert.equal(res.status, 202, res.text);
    });
  }

  test('accepts every row of the real sample, forwarded byte for byte', async () => {
    const sample = readSample();
    for (const entity of ['pin', 'geo', 'user'] as const) {
      const records = sample[entity].map((data) => ({ entity, data }));
      const res = await request(`${served.url}/v1/events`, { body: { records }, headers: auth });
      assert.equal(res.status, 202, res.text.slice(0, 500));
      assert.deepEqual((res.body as { accepted: number }).accepted, records.length);
      assert.deepEqual(
        producer.messages.map((m) => m.value),
        sample[entity].map((row) => JSON.stringify(row)),
      );
      producer.produced.length = 0;
    }
  });

  const bad: [string, 'pin' | 'geo' | 'user', Record<string, unknown>, string][] = [
    ['index not a number', 'pin', pin({ index: 'abc' }), 'index'],
    ['negative index', 'pin', pin({ index: -1 }), 'index'],
    ['fractional index', 'pin', pin({ index: 1.5 }), 'index'],
    ['missing unique_id', 'pin', { ...pin(), unique_id: undefined }, 'unique_id'],
    ['follower_count with a bad suffix', 'pin', pin({ follower_count: '10x' }), 'follower_count'],
    ['negative follower_count', 'pin', pin({ follower_count: -5 }), 'follower_count'],
    ['downloaded 2', 'pin', pin({ downloaded: 2 }), 'downloaded'],
    ['unknown field', 'pin', pin({ foo: 1 } as Record<string, unknown>), 'foo'],
    ['title a number', 'pin', pin({ title: 123 }), 'title'],
    ['empty category', 'pin', pin({ category: '' }), 'category'],
    ['null save_location', 'pin', pin({ save_location: null }), 'save_location'],
    ['latitude 200', 'geo', geo({ latitude: 200 }), 'latitude'],
    ['longitude as a string', 'geo', geo({ longitude: '12' }), 'longitude'],
    ['31 February', 'geo', geo({ timestamp: '2019-02-31 10:00:00' }), 'timestamp'],
    ['timestamp not a date', 'geo', geo({ timestamp: 'yesterday' }), 'timestamp'],
    ['missing ind', 'geo', { ...geo(), ind: undefined }, 'ind'],
    ['age in words', 'user', user({ age: 'twenty' }), 'age'],
    ['age 200', 'user', user({ age: 200 }), 'age'],
    ['month 13', 'user', user({ date_joined: '2016-13-01 00:00:00' }), 'date_joined'],
    ['empty first_name', 'user', user({ first_name: '' }), 'first_name'],
    ['pin fields on a user', 'user', { ...user(), index: 1 }, 'index'],
    // What PostgreSQL cannot store (the JSON escapes "\ud800" and "\u0000") never reaches Kafka.
    ['a lone surrogate in title', 'pin', pin({ title: '\ud800' }), 'title'],
    ['a lone low surrogate in poster_name', 'pin', pin({ poster_name: 'x\udc00' }), 'poster_name'],
    ['a NUL in description', 'pin', pin({ description: 'a\u0000b' }), 'description'],
    ['a lone surrogate in country', 'geo', geo({ country: '\ud83d' }), 'country'],
    ['a NUL in last_name', 'user', user({ last_name: '\u0000' }), 'last_name'],
  ];
  for (const [name, entity, record, field] of bad) {
    test(`rejects ${name}: 400 naming ${field}`, async () => {
      const res = await request(`${served.url}/v1/${entity}`, { body: record, headers: auth });
      assert.equal(res.status, 400);
      const body = res.body as ErrorBody;
      assert.equal(body.error, 'validation_failed');
      const issue = body.issues?.find((i) => i.path === field);
      assert.ok(issue, `no issue names ${field}: ${res.text}`);
      assert.ok(issue.message.length > 0);
      assert.equal(producer.produced.length, 0, 'nothing invalid is produced');
    });
  }

  test('a missing field is named as missing', async () => {
    const res = await request(`${served.url}/v1/geo`, {
      body: { ...geo(), country: undefined },
      headers: auth,
    });
    assert.deepEqual((res.body as ErrorBody).issues, [
      { path: 'country', message: 'required field is missing' },
    ]);
  });

  test('a body that is not an object is named at the root', async () => {
    const res = await request(`${served.url}/v1/user`, { body: [user()], headers: auth });
    assert.equal(res.status, 400);
    assert.equal((res.body as ErrorBody).issues?.[0]?.path, '');
  });
});

describe('ingest API: configuration and operations', () => {
  test('without a configured key the write endpoints are open', async () => {
    const { producer, served } = await startApp({ apiKey: undefined });
    try {
      const res = await request(`${served.url}/v1/user`, { body: user() });
      assert.equal(res.status, 202);
      assert.equal(producer.messages.length, 1);
    } finally {
      await served.close();
    }
  });

  test('/readyz is 503 with Retry-After while Kafka is unreachable', async () => {
    const { served } = await startApp({ readiness: fixedReadiness({ ready: false, kafka: 'unreachable' }) });
    try {
      const res = await request(`${served.url}/readyz`);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      assert.equal((res.body as { kafka: string }).kafka, 'unreachable');
      assert.equal((await request(`${served.url}/healthz`)).status, 200);
    } finally {
      await served.close();
    }
  });

  test('/readyz says whether the write endpoints check the key', async () => {
    for (const [apiKey, auth] of [
      [API_KEY, 'on'],
      [undefined, 'off'],
    ] as const) {
      const { served } = await startApp({ apiKey });
      try {
        assert.equal(((await request(`${served.url}/readyz`)).body as { auth: string }).auth, auth);
      } finally {
        await served.close();
      }
    }
  });

  test('/metrics counts requests by route and status, records by entity, rejections by reason', async () => {
    const { served } = await startApp();
    try {
      await request(`${served.url}/v1/geo`, { body: geo(), headers: auth });
      await request(`${served.url}/v1/geo`, { body: geo({ latitude: 200 }), headers: auth });
      await request(`${served.url}/v1/geo`, { body: geo() });
      const res = await request(`${served.url}/metrics`);
      assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
      for (const line of [
        'http_requests_total{method="POST",route="/v1/geo",status="202"} 1',
        'http_requests_total{method="POST",route="/v1/geo",status="400"} 1',
        'http_requests_total{method="POST",route="/v1/geo",status="401"} 1',
        'ingest_records_produced_total{entity="geo"} 1',
        'ingest_rejections_total{reason="validation_failed"} 1',
        'ingest_rejections_total{reason="unauthorized"} 1',
        'ingest_queue_records 0',
      ]) {
        assert.ok(res.text.includes(line), `missing: ${line}`);
      }
      assert.match(
        res.text,
        /http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/geo"\}/,
      );
    } finally {
      await served.close();
    }
  });

  test('/openapi.json is an OpenAPI 3.1 document of every endpoint, with the raw schemas', async () => {
    const { served } = await startApp();
    try {
      const res = await request(`${served.url}/openapi.json`);
      const doc = res.body as {
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
        components: {
          schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
        };
      };
      assert.equal(doc.openapi, '3.1.0');
      for (const path of ['/v1/pin', '/v1/geo', '/v1/user', '/v1/events'])
        assert.ok(doc.paths[path]?.post, path);
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
        assert.ok(doc.paths[path]?.get, path);
      assert.deepEqual(Object.keys(doc.components.schemas.RawGeo?.properties ?? {}), [
        'ind',
        'timestamp',
        'latitude',
        'longitude',
        'country',
      ]);
      assert.ok(doc.components.schemas.RawPin?.required?.includes('follower_count'));
    } finally {
      await served.close();
    }
  });
});

describe('ingest API: where it listens', () => {
  test('on API_HOST only: the default (loopback) answers there and not on the machine’s other addresses', async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    const app = createApp({
      producer: new FakeProducer(),
      readiness: fixedReadiness(),
      metrics: createMetrics(),
      log: pino({ level: 'silent' }),
      access: accessFor(API_KEY),
      topicPrefix: 'unit',
    });
    const server = await listen(app, 0, loadConfig({}).API_HOST);
    try {
      const { address, port } = server.address() as AddressInfo;
      assert.equal(address, '127.0.0.1');
      assert.equal((await request(`http://127.0.0.1:${port}/healthz`)).status, 200);
      for (const address of others) {
        await assert.rejects(fetch(`http://${address}:${port}/healthz`), `not reachable on ${address}`);
      }
    } finally {
      await closeServer(server, 1_000);
    }
  });
});
