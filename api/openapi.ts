// The OpenAPI 3.1 document of the API. Record schemas come from the zod schemas the API validates
// with (z.toJSONSchema), so the document cannot drift from the validation.
import { z } from 'zod';
import { RawGeo, RawPin, RawUser } from '../domain/raw-records.ts';
import { ENTITIES, type Entity } from '../domain/wire.ts';
import { LIMITS } from './limits.ts';

type JsonSchema = Record<string, unknown>;
type OverrideContext = Parameters<
  NonNullable<NonNullable<Parameters<typeof z.toJSONSchema>[1]>['override']>
>[0];

/** The raw schemas' preprocess steps accept more than their inner type: digit-strings for integers,
 *  non-negative integers for follower_count. toJSONSchema shows only the inner type; widen it. */
function widenPreprocessed({ zodSchema, jsonSchema }: OverrideContext): void {
  const def = zodSchema._zod.def;
  if (def.type !== 'pipe' || (def as z.core.$ZodPipeDef).in._zod.def.type !== 'transform') return;
  const inner = { ...jsonSchema };
  for (const key of Object.keys(jsonSchema)) delete (jsonSchema as JsonSchema)[key];
  const also =
    inner.type === 'integer'
      ? { type: 'string', pattern: '^-?\\d+$', description: 'the same integer as a string of digits' }
      : { type: 'integer', minimum: 0, description: 'a plain count' };
  Object.assign(jsonSchema, { anyOf: [inner, also] });
}

function schemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', override: widenPreprocessed });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const SCHEMA_NAMES: Record<Entity, string> = { pin: 'RawPin', geo: 'RawGeo', user: 'RawUser' };

function json(description: string, schema: JsonSchema, headers?: JsonSchema) {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema } } };
}

function errorResponses(): Record<string, unknown> {
  const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
  return {
    '400': json('Malformed JSON, or invalid records: `issues` names each bad field', ref('Error')),
    '401': json('Missing or wrong x-api-key', ref('Error')),
    '413': json('Body over the size limit', ref('Error')),
    '415': json('Content-Type is not application/json', ref('Error')),
    '503': json(
      'Kafka unavailable or slow, the queue full, or the API shutting down: nothing was acknowledged. ' +
        'Retry after Retry-After seconds.',
      ref('Error'),
      retryAfter,
    ),
  };
}

function writeOperation(summary: string, description: string, body: JsonSchema, limitBytes: number) {
  return {
    summary,
    description: `${description} Body limit: ${limitBytes} bytes.`,
    security: [{ apiKey: [] }],
    requestBody: { required: true, content: { 'application/json': { schema: body } } },
    responses: {
      '202': json('Every record is in Kafka (acknowledged by all in-sync replicas)', ref('Accepted')),
      ...errorResponses(),
    },
  };
}

function batchSchema(): JsonSchema {
  const item = (entity: Entity) => ({
    type: 'object',
    additionalProperties: false,
    required: ['entity', 'data'],
    properties: { entity: { const: entity }, data: ref(SCHEMA_NAMES[entity]) },
  });
  return {
    type: 'object',
    additionalProperties: false,
    required: ['records'],
    properties: {
      records: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.maxBatchRecords,
        items: { oneOf: ENTITIES.map(item) },
      },
    },
  };
}

function components() {
  return {
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    headers: {
      RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
    },
    schemas: {
      Sources: {
        type: 'object',
        description:
          'Which part of an answer came from which layer. batch: the days the batch layer loaded, ' +
          "through throughDay; speed: the records after the end offsets of that day's export, since " +
          '`since` (the next midnight, or the moment a same-day run exported).',
        properties: {
          batch: {
            type: 'object',
            properties: {
              throughDay: { type: ['string', 'null'], format: 'date' },
              posts: { type: 'integer' },
            },
          },
          speed: {
            type: 'object',
            properties: { since: { type: ['string', 'null'] }, posts: { type: 'integer' } },
          },
          generatedAt: { type: 'string', format: 'date-time' },
        },
      },
      RawPin: schemaOf(RawPin),
      RawGeo: schemaOf(RawGeo),
      RawUser: schemaOf(RawUser),
      BatchRequest: batchSchema(),
      Accepted: {
        type: 'object',
        required: ['accepted'],
        properties: { accepted: { type: 'integer', minimum: 1, description: 'Records now in Kafka' } },
      },
      Error: {
        type: 'object',
        required: ['error', 'message'],
        properties: {
          error: {
            type: 'string',
            description: 'Stable code: validation_failed, malformed_json, unauthorized, …',
          },
          message: { type: 'string' },
          issues: {
            type: 'array',
            items: {
              type: 'object',
              required: ['path', 'message'],
              properties: {
                path: { type: 'string', examples: ['follower_count', 'records.3.data.latitude'] },
                message: { type: 'string' },
                index: { type: 'integer', description: 'Batch only: the index of the record in records' },
              },
            },
          },
        },
      },
    },
  };
}

function entityPaths(): Record<string, unknown> {
  return Object.fromEntries(
    ENTITIES.map((entity) => [
      `/v1/${entity}`,
      {
        post: writeOperation(
          `Ingest one ${entity} record`,
          `One raw ${entity} record, exactly the raw columns. It is written to Kafka as received, keyed by its ind.`,
          ref(SCHEMA_NAMES[entity]),
          LIMITS.singleBodyBytes,
        ),
      },
    ]),
  );
}

function opsPaths(): Record<string, unknown> {
  const text = (description: string) => ({
    description,
    content: { 'text/plain': { schema: { type: 'string' } } },
  });
  const status = { type: 'object', properties: { status: { type: 'string' } } };
  return {
    '/healthz': { get: { summary: 'The process is up', responses: { '200': json('Up', status) } } },
    '/readyz': {
      get: {
        summary: 'Kafka is reachable and the topics exist',
        responses: { '200': json('Ready', status), '503': json('Not ready', status) },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': text('Prometheus text format') } },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': json('OpenAPI 3.1', { type: 'object' }) } },
    },
  };
}

const intQuery = (name: string, description: string, min: number, max: number, dflt: number) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'integer', minimum: min, maximum: max, default: dflt },
});
const enumQuery = (name: string, values: string[], description: string) => ({
  name,
  in: 'query',
  description,
  schema: { type: 'string', enum: values, default: values[0] },
});

/** A serving answer: `sources` and `rows` of the given properties (numbers are JSON numbers). */
function answer(row: Record<string, JsonSchema>, extra: Record<string, JsonSchema> = {}): JsonSchema {
  return {
    type: 'object',
    required: ['sources', ...(Object.keys(extra).length ? Object.keys(extra) : ['rows'])],
    properties: {
      sources: ref('Sources'),
      ...(Object.keys(extra).length
        ? extra
        : { rows: { type: 'array', items: { type: 'object', properties: row } } }),
    },
  };
}

function servingPaths(): Record<string, unknown> {
  const str = { type: 'string' };
  const num = { type: 'number' };
  const read = (summary: string, description: string, schema: JsonSchema, parameters: unknown[] = []) => ({
    get: {
      summary,
      description,
      tags: ['serving'],
      parameters,
      responses: {
        '200': json('The answer over all posts: batch days merged with the speed layer', schema),
        '400': json('A query parameter is invalid: `issues` names it', ref('Error')),
        '503': json('PostgreSQL or Temporal is unreachable: retry after Retry-After seconds', ref('Error'), {
          'Retry-After': { $ref: '#/components/headers/RetryAfter' },
        }),
      },
    },
  });
  return {
    '/v1/analytics/categories': read(
      'Most popular categories',
      'by=overall: posts per category, most first. by=country|year|age_group: the most popular category ' +
        'of each country, post year or age group, with its post count.',
      answer({ category: str, category_count: num, country: str, post_year: num, age_group: str }),
      [enumQuery('by', ['overall', 'country', 'year', 'age_group'], 'Grouping')],
    ),
    '/v1/analytics/posts-per-country': read(
      'Posts per country',
      'Most posts first.',
      answer({ country: str, posts: num }),
      [intQuery('limit', 'Countries to return', 1, 1000, 50)],
    ),
    '/v1/analytics/age-groups': read(
      'Posts and median follower count per age group',
      'Age groups 18-24, 25-35, 36-50, +50 of the posting users.',
      answer({ age_group: str, posts: num, median_follower_count: { type: ['number', 'null'] } }),
    ),
    '/v1/analytics/top-posters': read(
      'The poster with the most followers in each country, and the top country',
      'byCountry: one row per country; topCountry: the country whose top poster has the most followers.',
      answer(
        {},
        {
          byCountry: {
            type: 'array',
            items: { type: 'object', properties: { country: str, poster_name: str, follower_count: num } },
          },
          topCountry: {
            type: ['object', 'null'],
            properties: { country: str, follower_count: num },
          },
        },
      ),
    ),
    '/v1/analytics/users-joined': read(
      'Users joined per year',
      'Years 2015 to 2020 of the posts, as the batch views define them.',
      answer({ post_year: num, number_users_joined: num }),
    ),
    '/v1/analytics/follower-medians': read(
      'Median follower count per age group, joining year, or both',
      "Over each post's user, the latest row per post winning.",
      answer({ age_group: str, post_year: num, median_follower_count: num }),
      [enumQuery('by', ['age_group', 'join_year', 'age_group_join_year'], 'Grouping')],
    ),
    '/v1/pipeline/posts-per-minute': read(
      'Events per minute the speed layer received, per entity',
      "From the speed layer's tables, by event time, zero-filled.",
      answer({ minute: { type: 'string', format: 'date-time' }, pin: num, geo: num, user: num }),
      [intQuery('minutes', 'How many minutes back', 1, 1440, 60)],
    ),
    '/v1/pipeline/status': read(
      "The pipeline's own state",
      'Each stream (state, per-partition offsets and lag, freshness of its last micro-batch), the last ' +
        '14 batch days with their record counts, the daily Schedule, the API ingest rate, and links into ' +
        'the Temporal UI for each workflow.',
      {
        type: 'object',
        required: ['generatedAt', 'temporalUiUrl', 'streams', 'batchDays', 'schedule', 'ingest'],
        properties: {
          generatedAt: str,
          temporalUiUrl: str,
          streams: { type: 'array', items: { type: 'object' } },
          batchDays: { type: 'array', items: { type: 'object' } },
          schedule: { type: ['object', 'null'] },
          ingest: {
            type: 'object',
            properties: { recordsProduced: num, ratePerSecond: { type: ['number', 'null'] } },
          },
        },
      },
    ),
  };
}

export function buildOpenApi(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pinterest pipeline API',
      version: '1.0.0',
      description:
        'Takes raw pin, geo and user records and acknowledges them (202) only once Kafka has them. ' +
        'Invalid records get a 400 naming each bad field and never reach Kafka. The serving endpoints ' +
        '(GET /v1/analytics/*, /v1/pipeline/*) answer over all data: the batch views for the days the ' +
        'batch layer loaded, merged with the speed layer for the records after them; each answer says in ' +
        '`sources` which part came from which layer.',
    },
    paths: {
      ...entityPaths(),
      '/v1/events': {
        post: writeOperation(
          'Ingest a batch of mixed records',
          `Up to ${LIMITS.maxBatchRecords} records. All or nothing: if any record is invalid, the 400 lists ` +
            'each bad field with the index of its record and nothing is written; otherwise all records go to ' +
            'Kafka in one acknowledged send.',
          ref('BatchRequest'),
          LIMITS.batchBodyBytes,
        ),
      },
      ...servingPaths(),
      ...opsPaths(),
    },
    components: components(),
  };
}
