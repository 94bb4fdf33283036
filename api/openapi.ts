// The OpenAPI 3.1 document of the API. Record schemas and the serving endpoints' query parameters
// come from the zod schemas the API validates with, the serving answers from the zod schemas their
// types are inferred from (api/serving/contract.ts), by z.toJSONSchema: the document cannot drift.
import { z } from 'zod';
import { ENTITY } from '../domain/entities.ts';
import { ENTITIES, type Entity } from '../domain/wire.ts';
import { LIMITS } from './limits.ts';
import {
  AgeGroupsAnswer,
  CategoriesAnswer,
  CategoriesQuery,
  FollowerMediansAnswer,
  FollowerMediansQuery,
  PipelineStatus,
  PostsPerCountryAnswer,
  PostsPerCountryQuery,
  PostsPerMinuteAnswer,
  PostsPerMinuteQuery,
  Sources,
  TopPostersAnswer,
  UsersJoinedAnswer,
} from './serving/contract.ts';

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
/** `RawPin`, `RawGeo`, …: each entity's raw schema, from the registry. */
const rawSchemaName = (entity: Entity) => `Raw${entity[0]!.toUpperCase()}${entity.slice(1)}`;

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
    properties: { entity: { const: entity }, data: ref(rawSchemaName(entity)) },
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
      ...Object.fromEntries(ENTITIES.map((e) => [rawSchemaName(e), schemaOf(ENTITY[e].raw)])),
      BatchRequest: batchSchema(),
      ...servingSchemas(),
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
          ref(rawSchemaName(entity)),
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
    '/healthz': {
      get: {
        summary: 'The process is up',
        responses: {
          '200': json('Up: the pid of the process that answered', {
            ...status,
            properties: { ...status.properties, pid: { type: 'integer' } },
          }),
        },
      },
    },
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

/** The serving answers, each a component; every one refers to `Sources`. */
const SERVING_SCHEMAS = {
  Sources,
  CategoriesAnswer,
  PostsPerCountryAnswer,
  AgeGroupsAnswer,
  TopPostersAnswer,
  UsersJoinedAnswer,
  FollowerMediansAnswer,
  PostsPerMinuteAnswer,
  PipelineStatus,
} satisfies Record<string, z.ZodType>;

/** zod's details out of the answers: the pattern behind a `format` and the safe-integer bounds of
 *  an int; and no `additionalProperties: false`: an answer promises its properties, not only them. */
function plainAnswer({ jsonSchema: s }: OverrideContext): void {
  if (s.format) delete s.pattern;
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  if (s.additionalProperties === false) delete s.additionalProperties;
}

function servingSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(SERVING_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
    override: plainAnswer,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

/** Each property of a serving query schema as a query parameter: its schema as a client sends it. */
function queryParameters(query: z.ZodObject): JsonSchema[] {
  const { properties = {}, required = [] } = z.toJSONSchema(query, { io: 'input' });
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...schema } = property as JsonSchema;
    return { name, in: 'query', ...(required.includes(name) && { required: true }), description, schema };
  });
}

function servingPaths(): Record<string, unknown> {
  const read = (
    summary: string,
    description: string,
    answer: keyof typeof SERVING_SCHEMAS,
    query?: z.ZodObject,
  ) => ({
    get: {
      summary,
      description,
      tags: ['serving'],
      parameters: query ? queryParameters(query) : [],
      responses: {
        '200': json('The answer over all posts: batch days merged with the speed layer', ref(answer)),
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
      'CategoriesAnswer',
      CategoriesQuery,
    ),
    '/v1/analytics/posts-per-country': read(
      'Posts per country',
      'Most posts first.',
      'PostsPerCountryAnswer',
      PostsPerCountryQuery,
    ),
    '/v1/analytics/age-groups': read(
      'Posts and median follower count per age group',
      'Age groups 18-24, 25-35, 36-50, +50 of the posting users.',
      'AgeGroupsAnswer',
    ),
    '/v1/analytics/top-posters': read(
      'The poster with the most followers in each country, and the top country',
      'byCountry: one row per country; topCountry: the country whose top poster has the most followers.',
      'TopPostersAnswer',
    ),
    '/v1/analytics/users-joined': read(
      'Users joined per year',
      'Years 2015 to 2020 of the posts, as the batch views define them.',
      'UsersJoinedAnswer',
    ),
    '/v1/analytics/follower-medians': read(
      'Median follower count per age group, joining year, or both',
      "Over each post's user, the latest row per post winning.",
      'FollowerMediansAnswer',
      FollowerMediansQuery,
    ),
    '/v1/pipeline/posts-per-minute': read(
      'Events per minute the speed layer received, per entity',
      "From the speed layer's tables, by event time, zero-filled.",
      'PostsPerMinuteAnswer',
      PostsPerMinuteQuery,
    ),
    '/v1/pipeline/status': read(
      "The pipeline's own state",
      'Each stream (state, per-partition offsets and lag, freshness of its last micro-batch), the last ' +
        '14 batch days with their record counts, the daily Schedule, the API ingest rate, and links into ' +
        'the Temporal UI for each workflow.',
      'PipelineStatus',
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
