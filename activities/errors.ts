// Narrows third-party errors at the activity edge into failure types the Temporal UI shows and
// retry policies can name. Outages stay retryable; nothing here is swallowed.
import { ApplicationFailure } from '@temporalio/activity';
import { isPostgresOutage, NETWORK_CODES } from '../infra/db.ts';

export const SERVICE_FAILURES = {
  postgres: 'PostgresUnavailable',
  kafka: 'KafkaUnavailable',
  s3: 'S3Unavailable',
} as const;

/** kafkajs gives up on these after its own retries, or never retries them: all mean "not reachable now". */
const KAFKA_UNREACHABLE = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSGroupCoordinatorNotFound',
]);

/**
 * Kafka unreachable or busy, as kafkajs says it: the innermost kafkajs error is retriable (a broken
 * connection, a request timeout, a leader election), or kafkajs ran out of its own retries. A
 * non-retriable protocol error (a message too large, a timestamp refused) is not an outage.
 */
export function isKafkaOutage(err: unknown): boolean {
  let innermost: { name?: unknown; retriable?: unknown } | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.name.startsWith('KafkaJS')) innermost = e as { name?: unknown; retriable?: unknown };
  }
  if (innermost === undefined) return false;
  return innermost.retriable === true || KAFKA_UNREACHABLE.has(String(innermost.name));
}

/** An S3 call that failed in transit or with a 5xx/throttling status: the SDK's retries ran out. */
export function isS3Outage(err: unknown): boolean {
  const e = err as { code?: unknown; $metadata?: { httpStatusCode?: number } };
  if (NETWORK_CODES.has(String(e.code))) return true;
  const status = e.$metadata?.httpStatusCode;
  return e.$metadata !== undefined && (status === undefined || status >= 500 || status === 429);
}

const OUTAGE = {
  postgres: isPostgresOutage,
  kafka: isKafkaOutage,
  s3: isS3Outage,
} as const satisfies Record<keyof typeof SERVICE_FAILURES, (err: unknown) => boolean>;

/** Rethrows `err` as a typed retryable failure when it is a known outage of `service`. */
export function asServiceFailure(service: keyof typeof SERVICE_FAILURES, err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error) || !OUTAGE[service](err)) return err;
  return ApplicationFailure.create({
    message: `${service} unavailable: ${err.message}`,
    type: SERVICE_FAILURES[service],
    cause: err,
  });
}

/** Runs one step against a service, narrowing its outages. */
export async function against<T>(service: keyof typeof SERVICE_FAILURES, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asServiceFailure(service, err);
  }
}
