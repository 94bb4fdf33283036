// Narrows third-party errors at the activity edge into failure types the Temporal UI shows and
// retry policies can name. Outages stay retryable; nothing here is swallowed.
import { ApplicationFailure } from '@temporalio/activity';

export const SERVICE_FAILURES = {
  postgres: 'PostgresUnavailable',
  kafka: 'KafkaUnavailable',
  s3: 'S3Unavailable',
} as const;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** PostgreSQL unreachable, shutting down or out of connections (SQLSTATE classes 08, 57P, 53). */
export function isPostgresOutage(err: { code?: unknown; message?: string }): boolean {
  const code = typeof err.code === 'string' ? err.code : '';
  return (
    NETWORK_CODES.has(code) ||
    /^(08|57P|53)/.test(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(
      err.message ?? '',
    )
  );
}

/** Rethrows `err` as a typed retryable failure when it is a known outage of `service`. */
export function asServiceFailure(service: keyof typeof SERVICE_FAILURES, err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  const outage =
    service === 'postgres'
      ? isPostgresOutage(err as Error & { code?: unknown })
      : service === 'kafka'
        ? err.name.startsWith('KafkaJS')
        : (err as { $metadata?: unknown }).$metadata !== undefined ||
          NETWORK_CODES.has(String((err as { code?: unknown }).code));
  if (!outage) return err;
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
