// The OpenAPI document's serving part against the serving endpoints themselves: each query parameter's
// bounds, enum and default in /openapi.json are what the endpoint accepts, refuses and assumes. The
// document is generated from the zod query schemas the router validates with; this holds the two
// together, so a bound changed in one place cannot leave the other behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import { apiAccess } from '../../api/auth.ts';
import { createMetrics } from '../../api/metrics.ts';
import type { AnalyticsSnapshot } from '../../api/serving/analytics.ts';
import type { PipelineStatus, Sources } from '../../api/serving/contract.ts';
import { createServingRouter } from '../../api/serving/router.ts';
import { loadConfig } from '../../infra/config.ts';
import { FakeProducer } from '../support/fake-producer.ts';
import { request, serve, type Served } from '../support/http.ts';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema: { type?: string; minimum?: number; maximum?: number; enum?: string[]; default?: unknown };
}
interface Operation {
  tags?: string[];
  parameters: Parameter[];
  responses: Record<string, { content: { 'application/json': { schema: { $ref?: string } } } }>;
}
interface Document {
  paths: Record<string, { get?: Operation }>;
  components: { schemas: Record<string, unknown> };
}

/** The query parameters of each serving endpoint, by name. */
const PARAMETERS: Record<string, string[]> = {
  '/v1/analytics/categories': ['by'],
  '/v1/analytics/posts-per-country': ['limit'],
  '/v1/analytics/age-groups': [],
  '/v1/analytics/top-posters': [],
  '/v1/analytics/users-joined': [],
  '/v1/analytics/follower-medians': ['by'],
  '/v1/pipeline/posts-per-minute': ['minutes'],
  '/v1/pipeline/status': [],
};

const SOURCES: Sources = {
  batch: { throughDay: '2024-05-01', posts: 1 },
  speed: { since: '2024-05-02T00:00:00.000Z', posts: 1 },
  generatedAt: '2024-05-02T00:00:01.000Z',
};
/** More countries than any limit: the answer has as many rows as the limit asks for. */
const COUNTRIES = Array.from({ length: 5000 }, (_, i) => ({ country: `country ${i}`, posts: 5000 - i }));

function serving() {
  return createServingRouter({
    snapshot: async (): Promise<AnalyticsSnapshot> => ({
      sources: SOURCES,
      // Every batch view holds one row naming it: each grouping's answer tells which view it read.
      views: new Proxy({}, { get: (_, view) => [{ view: String(view) }] }),
      categories: [{ category: 'travel', category_count: 3 }],
      postsPerCountry: COUNTRIES,
      postsPerAgeGroup: [],
    }),
    postsPerMinute: async (minutes) => ({
      sources: SOURCES,
      rows: Array.from({ length: minutes }, (_, i) => ({
        minute: new Date(i * 60_000).toISOString(),
        pin: 0,
        geo: 0,
        user: 0,
      })),
    }),
    pipelineStatus: async () =>
      ({
        generatedAt: SOURCES.generatedAt,
        streams: [],
        batchDays: [],
        schedule: null,
      }) as unknown as PipelineStatus,
  });
}

describe('OpenAPI document: the serving endpoints', () => {
  let served: Served;
  let doc: Document;
  const get = (path: string, query: Record<string, string> = {}) =>
    request(`${served.url}${path}?${new URLSearchParams(query)}`);

  before(async () => {
    const app = createApp({
      producer: new FakeProducer(),
      readiness: {
        check: async () => ({ ready: true, kafka: 'ok', shuttingDown: false }),
        markShuttingDown() {},
      },
      metrics: createMetrics(),
      log: pino({ level: 'silent' }),
      access: apiAccess(loadConfig({ API_KEYS: 'ingest:write-key-0123456789' })),
      topicPrefix: 'unit',
      serving: serving(),
    });
    served = await serve(app);
    doc = (await get('/openapi.json')).body as Document;
  });
  after(() => served.close());

  test('every serving endpoint, its query parameters, and an answer schema among the components', () => {
    const serving = Object.entries(doc.paths).filter(([, item]) => item.get?.tags?.includes('serving'));
    assert.deepEqual(
      Object.fromEntries(serving.map(([path, item]) => [path, item.get!.parameters.map((p) => p.name)])),
      PARAMETERS,
    );
    for (const [path, item] of serving) {
      for (const p of item.get!.parameters) {
        assert.equal(p.in, 'query', `${path} ${p.name}`);
        assert.ok(p.description, `${path} ${p.name}: a description`);
        assert.ok(
          !p.required && p.schema.default !== undefined,
          `${path} ${p.name}: optional, with a default`,
        );
      }
      const answer = item.get!.responses['200']?.content['application/json'].schema.$ref;
      assert.match(answer ?? '', /^#\/components\/schemas\//, path);
      assert.ok(doc.components.schemas[answer!.split('/').pop()!], `${path}: ${answer} is a component`);
      for (const code of ['400', '503']) assert.ok(item.get!.responses[code], `${path}: ${code}`);
    }
  });

  test("each parameter's bounds or enum and default are what the endpoint accepts, refuses and assumes", async () => {
    let checked = 0;
    for (const [path, names] of Object.entries(PARAMETERS)) {
      for (const p of doc.paths[path]!.get!.parameters) {
        const { type, minimum, maximum, enum: values, default: dflt } = p.schema;
        const accepted = async (value: unknown) => {
          const res = await get(path, { [p.name]: String(value) });
          assert.equal(res.status, 200, `${path}?${p.name}=${value}: ${res.text}`);
          return res.body as { rows: unknown[] };
        };
        const refused = async (value: unknown) => {
          const res = await get(path, { [p.name]: String(value) });
          assert.equal(res.status, 400, `${path}?${p.name}=${value} is refused`);
          const issues = (res.body as { issues: { path: string }[] }).issues;
          assert.deepEqual(
            issues.map((i) => i.path),
            [`query.${p.name}`],
          );
        };
        if (type === 'integer') {
          assert.ok(Number.isInteger(minimum) && Number.isInteger(maximum), `${path} ${p.name}: bounded`);
          // Both integer parameters count the answer's rows (countries, minutes back).
          for (const value of [minimum!, maximum!]) assert.equal((await accepted(value)).rows.length, value);
          for (const value of [minimum! - 1, maximum! + 1, minimum! + 0.5, 'ten']) await refused(value);
        } else if (type === 'string' && values) {
          const answers = new Set<string>();
          for (const value of values) answers.add(JSON.stringify(await accepted(value)));
          assert.equal(answers.size, values.length, `${path}: each ${p.name} answers differently`);
          await refused('not-a-grouping');
        } else {
          assert.fail(`${path} ${p.name}: a ${type} parameter this test does not know how to probe`);
        }
        assert.deepEqual(
          (await get(path)).body,
          await accepted(dflt),
          `${path}: ${p.name} defaults to ${dflt}`,
        );
        checked++;
      }
      assert.equal(doc.paths[path]!.get!.parameters.length, names.length);
    }
    assert.equal(checked, 4);
  });
});
