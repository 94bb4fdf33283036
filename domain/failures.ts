// Every failure type the pipeline raises, in one catalogue and one naming style: PascalCase, the thing
// that failed then how (PostgresUnavailable, BatchDayExpired, StreamInputInvalid). They are wire names:
// workflow histories, retry policies, the Temporal UI and the dashboard show them, so a rename is a
// migration. Pure (no Temporal import): workflows, activities and the API all read it.

/** An outage of a service the pipeline depends on: retried with back-off until the service is back. */
const OUTAGES = {
  /** PostgreSQL unreachable, shutting down, out of resources or too slow (infra/outages.ts). */
  PostgresUnavailable: 'PostgresUnavailable',
  /** Kafka unreachable or busy: kafkajs calls the error retriable, or ran out of its own retries. */
  KafkaUnavailable: 'KafkaUnavailable',
  /** S3 unreachable, or answering 5xx or 429 after the SDK's own retries. */
  S3Unavailable: 'S3Unavailable',
} as const;

/** Failures retrying cannot fix: raised non-retryable, and named in the retry policies besides. */
const PERMANENT = {
  /** The day is not a real `YYYY-MM-DD`, or it has not started yet. */
  BatchInvalidDay: 'BatchInvalidDay',
  /** An entity topic does not exist: a configuration error, not an outage. */
  BatchTopicMissing: 'BatchTopicMissing',
  /** An entity topic accepts timestamps far in the future, which would empty later days. */
  BatchTopicMisconfigured: 'BatchTopicMisconfigured',
  /** The bucket is missing or refuses the credentials. */
  BatchS3Misconfigured: 'BatchS3Misconfigured',
  /** An object the previous step wrote is gone (deleted by hand or by a concurrent run). */
  BatchObjectMissing: 'BatchObjectMissing',
  /** A gzip object does not decompress. */
  BatchObjectCorrupt: 'BatchObjectCorrupt',
  /** The clean runs on a worker that does not hold the day's downloaded files. */
  BatchLocalFilesMissing: 'BatchLocalFilesMissing',
  /** A cleaned object holds a row the cleaned schema refuses: a bug upstream, never data to load. */
  BatchCleanedInvalid: 'BatchCleanedInvalid',
  /** PostgreSQL refused a statement for a reason retrying cannot fix (SQL or constraint error). */
  BatchSqlRejected: 'BatchSqlRejected',
  /**
   * Kafka no longer holds (all of) the day and no archive of it exists in S3 (or the archive's end was
   * not final and what came after it is gone): the day cannot be rebuilt, and its rows stay as they are.
   */
  BatchDayExpired: 'BatchDayExpired',
  /** Records cleaned plus rejected differ from records exported: a file was cut short or read twice. */
  BatchCountMismatch: 'BatchCountMismatch',
  /**
   * The publish of a day found an entity's staged rows differing from what its load reported (the
   * staging table was dropped or changed in between): the loads must run again.
   */
  BatchStagingMismatch: 'BatchStagingMismatch',
  /** A stream's input names what cannot be (a schema that is not a PostgreSQL identifier): the stream ends. */
  StreamInputInvalid: 'StreamInputInvalid',
} as const;

/**
 * Failures of one attempt that the next attempt resolves by itself: a micro-batch found its checkpoint
 * moved by a concurrent attempt (a worker thought lost that was not) and rolled back.
 */
const TRANSIENT = {
  StreamCheckpointMoved: 'StreamCheckpointMoved',
} as const;

export const FAILURES = { ...OUTAGES, ...PERMANENT, ...TRANSIENT } as const;
export type FailureType = (typeof FAILURES)[keyof typeof FAILURES];

export const OUTAGE_FAILURES: readonly FailureType[] = Object.values(OUTAGES);
/** For retry policies' `nonRetryableErrorTypes`. */
export const PERMANENT_FAILURES: readonly FailureType[] = Object.values(PERMANENT);

/** The services whose outages have a failure type of their own. */
export type Service = 'postgres' | 'kafka' | 's3';
export const SERVICE_OUTAGE: { readonly [S in Service]: FailureType } = {
  postgres: FAILURES.PostgresUnavailable,
  kafka: FAILURES.KafkaUnavailable,
  s3: FAILURES.S3Unavailable,
};

/** The innermost message of an error chain: "Activity task failed" says less than what made it fail. */
export function innermostMessage(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
