// What a third-party error means for its caller, decided here and nowhere else: an outage (retry it,
// with back-off, until the service is back), the data's fault (set the record apart), or neither (a
// bug or a configuration error, which retrying shows until someone fixes it). Each service says it
// in its own terms: kafkajs its errors' `retriable`, PostgreSQL its SQLSTATE classes, S3 its HTTP
// status; node-postgres's own connection errors carry no code, so those are known by their message.
import kafkajs from 'kafkajs';
import type pg from 'pg';

const { KafkaJSError, KafkaJSNumberOfRetriesExceeded, KafkaJSTimeout, KafkaJSGroupCoordinatorNotFound } =
  kafkajs;

/** Node's errors for a peer that cannot be reached or went away, whatever the service. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** node-postgres's errors for a connection that failed or went quiet (they have no SQLSTATE). */
const PG_DRIVER_OUTAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout/i;

/**
 * PostgreSQL unreachable, shutting down, out of resources or too slow: SQLSTATE classes 08
 * (connection), 53 (resources), 57P (shutdown), 57014 (statement timeout), 40001/40P01 (serialization,
 * deadlock), 55P03 (lock timeout), and the driver's own network and timeout errors.
 */
export function isPostgresOutage(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const c = typeof code === 'string' ? code : '';
  return (
    NETWORK_CODES.has(c) ||
    /^(08|53|57P)/.test(c) ||
    ['57014', '40001', '40P01', '55P03'].includes(c) ||
    PG_DRIVER_OUTAGE.test(typeof message === 'string' ? message : '')
  );
}

/** PostgreSQL refused the data itself (SQLSTATE classes 22 and 23): retrying the same rows cannot help. */
export function isPostgresDataError(err: unknown): err is pg.DatabaseError {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/**
 * PostgreSQL refused a statement for good: its data (classes 22, 23) or the SQL itself, which does not
 * compile or names what does not exist (42). The same statement would be refused again.
 */
export function isPostgresPermanent(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(42|22|23)[0-9A-Z]{3}$/.test(code);
}

const DATA_CONDITIONS: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
};

/**
 * Why PostgreSQL refused a row, naming the column or constraint when it says which and never the
 * value (its messages may quote it): `follower_count: PostgreSQL refused it (22003 numeric_value_out_of_range)`.
 */
export function describeDataError(err: pg.DatabaseError): string {
  const where = err.column ?? err.constraint ?? 'record';
  const condition = DATA_CONDITIONS[err.code ?? ''];
  return `${where}: PostgreSQL refused it (${err.code}${condition ? ` ${condition}` : ''})`;
}

/**
 * Kafka unreachable or busy, as kafkajs says it: the innermost kafkajs error of the chain is
 * `retriable` (a broken connection, a request timeout, a leader election), or kafkajs ran out of its
 * own retries or waits. A non-retriable protocol error (a message too large, a timestamp refused) is
 * not an outage: the same request would be refused again.
 */
export function isKafkaOutage(err: unknown): boolean {
  let innermost: InstanceType<typeof KafkaJSError> | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof KafkaJSError) innermost = e;
  }
  if (innermost === undefined) return false;
  return (
    innermost.retriable ||
    innermost instanceof KafkaJSNumberOfRetriesExceeded ||
    // KafkaJSLockTimeout is a KafkaJSTimeout.
    innermost instanceof KafkaJSTimeout ||
    innermost instanceof KafkaJSGroupCoordinatorNotFound
  );
}

/** Kafka's answers for records over its size limits: the same records would be refused again. */
const KAFKA_TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** Kafka refused records as too large, anywhere in the chain or among a batch's errors. */
export function isKafkaTooLarge(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (KAFKA_TOO_LARGE.has(String((e as { type?: unknown }).type))) return true;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some(isKafkaTooLarge)) return true;
  }
  return false;
}

/** The HTTP status of an AWS SDK error, when S3 answered. */
export function s3Status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** An S3 call that failed in transit or with a 5xx/throttling status: the SDK's own retries ran out. */
export function isS3Outage(err: unknown): boolean {
  const e = err as { code?: unknown; $metadata?: unknown };
  if (NETWORK_CODES.has(String(e.code))) return true;
  const status = s3Status(err);
  return e.$metadata !== undefined && (status === undefined || status >= 500 || status === 429);
}

const S3_MISCONFIGURED = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
]);

/** S3 refused the request for good: the bucket does not exist, or the credentials are refused (403). */
export function isS3Misconfigured(err: unknown): boolean {
  return S3_MISCONFIGURED.has(String((err as { name?: unknown } | null)?.name)) || s3Status(err) === 403;
}

/** The object asked for does not exist. */
export function isS3NoSuchKey(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'NoSuchKey';
}

/** The outage test of each service with a failure type of its own (domain/failures.ts). */
export const IS_OUTAGE = {
  postgres: isPostgresOutage,
  kafka: isKafkaOutage,
  s3: isS3Outage,
} as const;
