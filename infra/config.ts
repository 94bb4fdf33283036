// The one place that reads the environment. Defaults match docker-compose.yml and the local stack
// (stack/lib.sh); a real deployment changes only these variables.
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SQL_IDENTIFIER, SQL_IDENTIFIER_RULE } from '../domain/sql-identifier.ts';

const port = z.coerce.number().int().min(1).max(65535);
const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1));
const sqlIdentifier = z.string().regex(SQL_IDENTIFIER, SQL_IDENTIFIER_RULE);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const emptyAsUndefined = (v: string) => (v === '' ? undefined : v);
const MAX_API_PROCESSES = 64;
/** A count of processes, or "auto": one per core the process may use (at most the maximum). */
const processCount = z
  .union([z.literal('auto'), z.coerce.number().int().min(1).max(MAX_API_PROCESSES)], {
    error: `expected an integer from 1 to ${MAX_API_PROCESSES}, or "auto"`,
  })
  .transform((v) => (v === 'auto' ? Math.min(MAX_API_PROCESSES, availableParallelism()) : v));

/** The local stack's write key: published in this repository, so never one a deployment may keep. */
export const LOCAL_API_KEY = 'pinpipe-local-key';

export interface NamedKey {
  name: string;
  key: string;
}

/** `name:key,name:key`: keys with the names logs and metrics show (never the keys themselves). */
const namedKeys = z
  .string()
  .transform((s, ctx): NamedKey[] => {
    const keys = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf(':');
        return { name: entry.slice(0, at < 0 ? 0 : at), key: at < 0 ? '' : entry.slice(at + 1) };
      });
    for (const k of keys) {
      if (!/^[A-Za-z0-9_.-]{1,40}$/.test(k.name) || k.key.length < 8) {
        ctx.addIssue({
          code: 'custom',
          message: `expected name:key entries separated by commas (a name of letters, digits, "_", "." or "-", a key of at least 8 characters); got an entry named "${k.name}"`,
        });
        return z.NEVER;
      }
    }
    if (new Set(keys.map((k) => k.name)).size !== keys.length) {
      ctx.addIssue({ code: 'custom', message: 'two keys share a name' });
    }
    if (new Set(keys.map((k) => k.key)).size !== keys.length) {
      ctx.addIssue({ code: 'custom', message: 'two entries share a key' });
    }
    return keys;
  })
  .pipe(z.array(z.object({ name: z.string(), key: z.string() })).min(1, 'at least one name:key'));

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d+$/, 'expected host:port')
    .default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),

  KAFKA_BROKERS: csv.default(['localhost:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('pinterest-pipeline'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('pinterest'),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(3),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(1),

  // Empty means AWS S3 itself (the SDK's own endpoint for the region).
  S3_ENDPOINT: z
    .string()
    .default('http://localhost:9000')
    .transform(emptyAsUndefined)
    .pipe(z.url().optional()),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'not a valid S3 bucket name')
    .default('pinterest-events'),
  S3_ACCESS_KEY_ID: z.string().min(1).default('pinpipe'),
  S3_SECRET_ACCESS_KEY: z.string().min(1).default('pinpipe-secret'),
  S3_FORCE_PATH_STYLE: bool.default(true),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
    .default('postgres://pinpipe:pinpipe@localhost:5432/pinpipe'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // The longest one SQL statement may run; a connection that stops answering fails after it too.
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(120_000),

  PIPELINE_TASK_QUEUE: z.string().min(1).default('pinterest-pipeline'),
  STREAM_SCHEMA: sqlIdentifier.default('speed'),
  // Workflow ids of the streams are `${STREAM_ID_PREFIX}stream-<entity>`: set it to run a second
  // pipeline (other topics and schemas) in the same Temporal namespace.
  STREAM_ID_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+-)?$/, 'empty, or letters, digits, "_", "." or "-" ending in "-"')
    .default(''),
  // Workflows per topic's stream, each owning the partitions p with p mod K = its index; unset: one per
  // 4 partitions of the topic. Change it with the streams stopped (README, "Shards").
  STREAM_SHARDS: z.coerce.number().int().min(1).max(256).optional(),
  STREAM_MAX_RECORDS_PER_PARTITION: z.coerce.number().int().min(1).max(100_000).default(5_000),
  STREAM_MAX_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  STREAM_MAX_BATCHES_PER_RUN: z.coerce.number().int().min(1).max(10_000).default(500),

  // Batch layer: where a worker keeps a day's files between download and clean, the key root of
  // raw/, cleaned/, rejected/ and reports/ in the bucket ('' = its root), records per S3 object, and
  // the schemas of the loaded days and of the batch views.
  BATCH_WORK_DIR: z.string().min(1).default(join(tmpdir(), 'pinterest-batch')),
  BATCH_S3_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9._-]+\/)*$/, 'empty, or path segments each ending in "/"')
    .default(''),
  BATCH_OBJECT_RECORDS: z.coerce.number().int().min(1).max(10_000_000).default(250_000),
  /** Threads of a worker process for the export and the clean; unset: one per core. */
  BATCH_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /** Units of a day (an entity's Kafka partition) a worker process downloads and cleans at once; unset: BATCH_THREADS. */
  BATCH_UNITS_AT_ONCE: z.coerce.number().int().min(1).max(64).optional(),
  BATCH_SCHEMA: sqlIdentifier.default('batch'),
  BATCH_VIEWS_SCHEMA: sqlIdentifier.default('batch_views'),
  // The daily Schedule the workers register (one per deployment sharing a namespace).
  BATCH_SCHEDULE_ID: z.string().min(1).default('batch-daily'),
  // A day's workflow id is `${BATCH_ID_PREFIX}batch-<day>`: one run per day whoever starts it.
  BATCH_ID_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+-)?$/, 'empty, or letters, digits, "_", "." or "-" ending in "-"')
    .default(''),

  API_PORT: port.default(8000),
  // The address the API listens on: loopback unless opened up on purpose (0.0.0.0 or :: for every
  // interface, e.g. behind a reverse proxy on another host or in a container).
  API_HOST: z.string().min(1).default('127.0.0.1'),
  // Processes serving the API on this machine (node:cluster, api/cluster-primary.ts); 1: no cluster.
  API_PROCESSES: processCount.default(1),
  // The write key: the local stack's published throwaway one unless set (the API refuses that one,
  // and an empty one, with NODE_ENV=production). Clients (the emulator, benches) send it.
  API_KEY: z
    .string()
    .default(LOCAL_API_KEY)
    .transform(emptyAsUndefined)
    .pipe(z.string().min(8, 'at least 8 characters').optional()),
  // Several named write keys at once (rotation): when set, the API takes these instead of API_KEY.
  API_KEYS: z.string().transform(emptyAsUndefined).pipe(namedKeys.optional()).optional(),
  // Named read keys; once set (and always with NODE_ENV=production) the read endpoints need a read or
  // a write key.
  API_READ_KEYS: z.string().transform(emptyAsUndefined).pipe(namedKeys.optional()).optional(),
  // Web origins whose pages may call the API (CORS), comma-separated; unset: none may.
  API_CORS_ORIGINS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'expected http(s) origins' })))
    .default([]),
  // Per write key (records/s, and records at once after a pause): 429 with Retry-After beyond them.
  API_RATE_LIMIT: z.coerce.number().positive().default(100_000),
  API_RATE_BURST: z.coerce.number().int().positive().default(200_000),
  // "off" turns the API's key check off, on purpose only: it warns at every start and /readyz says so.
  API_AUTH: z.enum(['on', 'off']).default('on'),
  API_BASE_URL: z.url().default('http://localhost:8000'),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** For entry points: on bad configuration print the reason and exit 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}
