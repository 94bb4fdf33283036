// Failures at the activity edge: third-party errors narrowed into the catalogue's types
// (domain/failures.ts) that the Temporal UI shows and retry policies name. Whether an error is an
// outage is decided by infra/outages.ts; here it only gets its type. Outages stay retryable, a
// permanent failure is non-retryable; nothing here is swallowed.
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURES, SERVICE_OUTAGE, type FailureType, type Service } from '../domain/failures.ts';
import { IS_OUTAGE, isPostgresPermanent } from '../infra/outages.ts';

/** Rethrows `err` as a typed retryable failure when it is a known outage of `service`. */
export function asServiceFailure(service: Service, err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error) || !IS_OUTAGE[service](err)) return err;
  return ApplicationFailure.create({
    message: `${service} unavailable: ${err.message}`,
    type: SERVICE_OUTAGE[service],
    cause: err,
  });
}

/** Runs one step against a service, narrowing its outages. */
export async function against<T>(service: Service, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asServiceFailure(service, err);
  }
}

/** A failure retrying cannot fix: it ends the activity (and the batch day) with its type. */
export function permanent(type: FailureType, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    cause: cause instanceof Error ? cause : undefined,
  });
}

/**
 * A PostgreSQL error as the batch layer's failure: a statement PostgreSQL refuses for good (its SQL or
 * its data) is BatchSqlRejected, an outage PostgresUnavailable, anything else stays as it is.
 */
export function narrowPostgres(err: unknown): unknown {
  if (isPostgresPermanent(err)) {
    const code = (err as { code: string }).code;
    return permanent(
      FAILURES.BatchSqlRejected,
      `PostgreSQL refused the statement (${code}): ${(err as Error).message}`,
      err,
    );
  }
  return asServiceFailure('postgres', err);
}
