// Every route against every kind of caller, in production (reads need a key) and locally (reads open).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import { apiAccess } from '../../api/auth.ts';
import { createMetrics, type ApiMetrics } from '../../api/metrics.ts';
import type { PipelineStatus } from '../../api/serving/contract.ts';
import { createServingRouter } from '../../api/serving/router.ts';
import { loadConfig } from '../../infra/config.ts';
import { FakeProducer } from '../support/fake-producer.ts';
import { request, serve, type Served } from '../support/http.ts';
import { pin } from '../support/records.ts';

const WRITE = 'write-key-0123456789';
const READ = 'read-key-0123456789';
const callers = {
  'no key': {},
  'wrong key': { 'x-api-key': 'not-a-key-at-all' },
  'read key': { 'x-api-key': READ },
  'write key': { 'x-api-key': WRITE },
} as const;
type Caller = keyof typeof callers;

const STATUS = {
  generatedAt: 'now',
  streams: [],
  batchDays: [],
  schedule: null,
} as unknown as PipelineStatus;
const routes: { method: 'GET' | 'POST'; path: string; body?: unknown; kind: 'write' | 'read' | 'open' }[] = [
  { method: 'POST', path: '/v1/pin', body: pin(), kind: 'write' },
  { method: 'POST', path: '/v1/events', body: { records: [{ entity: 'pin', data: pin() }] }, kind: 'write' },
  { method: 'GET', path: '/v1/pipeline/status', kind: 'read' },
  { method: 'GET', path: '/v1/pipeline/posts-per-minute', kind: 'read' },
  { method: 'GET', path: '/metrics', kind: 'read' },
  { method: 'GET', path: '/healthz', kind: 'open' },
  { method: 'GET', path: '/readyz', kind: 'open' },
  { method: 'GET', path: '/openapi.json', kind: 'open' },
  { method: 'GET', path: '/', kind: 'open' },
];

async function startWith(env: NodeJS.ProcessEnv) {
  const metrics = createMetrics();
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = createApp({
    producer: new FakeProducer(),
    readiness: { check: async () => ({ ready: true, kafka: 'ok', topics: 'ok' }) } as never,
    metrics,
    log,
    access: apiAccess(loadConfig(env)),
    topicPrefix: 'unit',
    serving: createServingRouter({
      snapshot: () => Promise.reject(new Error('unused')),
      postsPerMinute: async () => ({ minutes: [] }) as never,
      pipelineStatus: async () => STATUS,
    }),
  });
  return { served: await serve(app), metrics, lines };
}

function expected(kind: 'write' | 'read' | 'open', caller: Caller, readsNeedKey: boolean): number {
  if (kind === 'open') return 200;
  if (kind === 'write') return caller === 'write key' ? 202 : 401;
  if (!readsNeedKey) return 200;
  return caller === 'read key' || caller === 'write key' ? 200 : 401;
}

for (const [where, env, readsNeedKey] of [
  [
    'production',
    { NODE_ENV: 'production', API_KEYS: `ingest:${WRITE}`, API_READ_KEYS: `dash:${READ}` },
    true,
  ],
  ['locally', { API_KEYS: `ingest:${WRITE}` }, false],
] as const) {
  describe(`access, ${where}`, () => {
    let served: Served;
    let metrics: ApiMetrics;
    let lines: Record<string, unknown>[];
    before(async () => ({ served, metrics, lines } = await startWith(env)));
    after(() => served.close());

    test(`every route × {no key, wrong key, read key, write key} ${readsNeedKey ? '(reads need a key)' : '(reads open)'}`, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const route of routes) {
        for (const [caller, headers] of Object.entries(callers) as [Caller, Record<string, string>][]) {
          const res = await request(`${served.url}${route.path}`, {
            method: route.method,
            headers,
            ...(route.body === undefined ? {} : { body: route.body }),
          });
          got.push(`${route.method} ${route.path} ${caller}: ${res.status}`);
          want.push(`${route.method} ${route.path} ${caller}: ${expected(route.kind, caller, readsNeedKey)}`);
        }
      }
      assert.deepEqual(got, want);
    });

    test('the key’s name, never the key, is in the log lines and the metrics', async () => {
      const log = JSON.stringify(lines);
      assert.ok(
        lines.some((l) => l.key === 'ingest' && l.status === 202),
        'a 202 logged with the key name',
      );
      assert.ok(!log.includes(WRITE) && !log.includes(READ), 'no key in the logs');
      const text = await metrics.registry.metrics();
      assert.match(text, /ingest_records_by_key_total\{key="ingest"\} 2/);
      assert.ok(!text.includes(WRITE));
    });
  });
}

describe('CORS', () => {
  test('closed by default; only the configured origins get the headers and an answered preflight', async () => {
    const make = async (corsOrigins: string[] | undefined) =>
      serve(
        createApp({
          producer: new FakeProducer(),
          readiness: { check: async () => ({ ready: true }) } as never,
          metrics: createMetrics(),
          log: pino({ level: 'silent' }),
          access: apiAccess(loadConfig({ API_KEYS: `ingest:${WRITE}` })),
          topicPrefix: 'unit',
          ...(corsOrigins && { corsOrigins }),
        }),
      );
    const closed = await make(undefined);
    const open = await make(loadConfig({ API_CORS_ORIGINS: 'https://dash.example.com' }).API_CORS_ORIGINS);
    try {
      const origin = { origin: 'https://dash.example.com' };
      const preflight = { ...origin, 'access-control-request-method': 'POST' };
      assert.equal(
        (await request(`${closed.url}/healthz`, { headers: origin })).headers.get(
          'access-control-allow-origin',
        ),
        null,
      );
      const unanswered = await request(`${closed.url}/v1/pin`, { method: 'OPTIONS', headers: preflight });
      assert.equal(unanswered.status, 405, 'no preflight: OPTIONS is not a method of the endpoint');
      assert.equal(unanswered.headers.get('access-control-allow-origin'), null);
      const allowed = await request(`${open.url}/healthz`, { headers: origin });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://dash.example.com');
      const answered = await request(`${open.url}/v1/pin`, { method: 'OPTIONS', headers: preflight });
      assert.equal(answered.status, 204);
      assert.match(answered.headers.get('access-control-allow-headers') ?? '', /x-api-key/);
      const other = await request(`${open.url}/healthz`, { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    } finally {
      await closed.close();
      await open.close();
    }
  });
});
