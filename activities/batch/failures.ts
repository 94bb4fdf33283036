// Permanent failures of the batch activities: typed (BATCH_FAILURES) so that the workflow and the
// Temporal UI tell them from outages, and non-retryable because retrying cannot fix them.
import { ApplicationFailure } from '@temporalio/activity';
import { BATCH_FAILURES } from '../../domain/batch-keys.ts';
import { asServiceFailure } from '../errors.ts';

export function permanent(type: string, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    cause: cause instanceof Error ? cause : undefined,
  });
}

/**
 * PostgreSQL errors retrying cannot fix: SQL that does not compile or names what does not exist
 * (class 42), data or constraint errors (22, 23). Everything else, outages first, stays retryable.
 */
export function narrowPostgres(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^(42|22|23)/.test(code)) {
    return permanent(
      BATCH_FAILURES.sqlRejected,
      `PostgreSQL refused the statement (${code}): ${(err as Error).message}`,
      err,
    );
  }
  return asServiceFailure('postgres', err);
}
