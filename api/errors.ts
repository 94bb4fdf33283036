// The ingest API's errors. Each has a stable `name`, the HTTP status and the `error` code its
// response carries, and its context as fields; the error middleware turns them into responses.

export interface Issue {
  /** Dotted path to the field (`follower_count`, `records.3.data.latitude`); `''` is the body. */
  path: string;
  message: string;
  /** For the batch endpoint: the index of the record in `records`. */
  index?: number;
}

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Seconds a client should wait before retrying (503s and 429s). */
  readonly retryAfterSeconds?: number;
}

/** The write key sent more records than its rate limit allows: retry after Retry-After seconds. */
export class RateLimitedError extends ApiError {
  override readonly name = 'RateLimitedError';
  readonly status = 429;
  readonly code = 'rate_limited';
  override readonly retryAfterSeconds: number;
  readonly key: string;
  constructor(key: string, retryAfterSeconds: number) {
    super(
      `the key "${key}" is over its rate limit (API_RATE_LIMIT records/s); retry after ${retryAfterSeconds} s`,
    );
    this.key = key;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The body is valid JSON but not a valid record (or batch): names every bad field. */
export class ValidationError extends ApiError {
  override readonly name = 'ValidationError';
  readonly status = 400;
  readonly code = 'validation_failed';
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(`${issues.length} invalid field(s)`);
    this.issues = issues;
  }
}

/** The body is not parseable JSON (or not in a JSON-compatible encoding). */
export class MalformedBodyError extends ApiError {
  override readonly name = 'MalformedBodyError';
  readonly status = 400;
  readonly code = 'malformed_json';
}

/** A write endpoint received a body that is not `application/json`. */
export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly contentType: string | undefined;
  constructor(contentType: string | undefined) {
    super('expected Content-Type: application/json');
    this.contentType = contentType;
  }
}

/** The body is larger than the endpoint's limit. */
export class PayloadTooLargeError extends ApiError {
  override readonly name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(`the body exceeds ${limitBytes} bytes`);
    this.limitBytes = limitBytes;
  }
}

/**
 * Kafka refused the request's records: those that share a partition exceed the broker's limit for
 * one batch of a partition (the topic's max.message.bytes). Retrying cannot help; fewer records can.
 */
export class RecordsTooLargeError extends ApiError {
  override readonly name = 'RecordsTooLargeError';
  readonly status = 413;
  readonly code = 'records_too_large';
  readonly limitBytes: number | undefined;
  constructor(limitBytes: number | undefined, options?: { cause?: unknown }) {
    super(
      `Kafka refused the records: those sharing a partition exceed its limit of ${limitBytes ?? 'max.message.bytes'} bytes per batch (max.message.bytes); send fewer records per request`,
      options,
    );
    this.limitBytes = limitBytes;
  }
}

/** The `x-api-key` header is missing or wrong while the API requires a key. */
export class UnauthorizedError extends ApiError {
  override readonly name = 'UnauthorizedError';
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor() {
    super('missing or invalid x-api-key header');
  }
}

/** No route matches the path. */
export class NotFoundError extends ApiError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly code = 'not_found';
}

/** The path exists but not for this method. */
export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly allowed: string[];
  constructor(allowed: string[]) {
    super(`allowed: ${allowed.join(', ')}`);
    this.allowed = allowed;
  }
}

/** The producer's queue cannot take the records without exceeding its bound (backpressure). */
export class QueueFullError extends ApiError {
  override readonly name = 'QueueFullError';
  readonly status = 503;
  readonly code = 'queue_full';
  override readonly retryAfterSeconds = 1;
  readonly queuedRecords: number;
  readonly maxQueueRecords: number;
  constructor(queuedRecords: number, maxQueueRecords: number) {
    super('the ingest queue is full');
    this.queuedRecords = queuedRecords;
    this.maxQueueRecords = maxQueueRecords;
  }
}

/** Kafka did not take the batch (unreachable, refused it, or retries ran out); or a recent
 *  failure keeps the producer from trying again for a moment. The records are not in Kafka. */
export class KafkaUnavailableError extends ApiError {
  override readonly name = 'KafkaUnavailableError';
  readonly status = 503;
  readonly code = 'kafka_unavailable';
  override readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** No outcome within the deadline. `stage: 'queued'`: never sent, not in Kafka. `stage: 'sending'`:
 *  Kafka may still take the records (a retry may duplicate them; downstream dedups by `ind`). */
export class ProduceTimeoutError extends ApiError {
  override readonly name = 'ProduceTimeoutError';
  readonly status = 503;
  readonly code = 'kafka_timeout';
  override readonly retryAfterSeconds = 2;
  readonly stage: 'queued' | 'sending';
  readonly timeoutMs: number;
  constructor(stage: 'queued' | 'sending', timeoutMs: number) {
    super(`no acknowledgement from Kafka within ${timeoutMs} ms`);
    this.stage = stage;
    this.timeoutMs = timeoutMs;
  }
}

/** The process is shutting down and takes no more records. */
export class ProducerClosedError extends ApiError {
  override readonly name = 'ProducerClosedError';
  readonly status = 503;
  readonly code = 'shutting_down';
  override readonly retryAfterSeconds = 5;
  constructor() {
    super('the API is shutting down');
  }
}

/** A serving endpoint could not read its store (PostgreSQL or Temporal unreachable). Nothing is
 *  wrong with the request: retry after Retry-After seconds. */
export class StoreUnavailableError extends ApiError {
  override readonly name = 'StoreUnavailableError';
  readonly status = 503;
  readonly code = 'store_unavailable';
  override readonly retryAfterSeconds = 2;
  readonly store: 'postgres' | 'temporal';
  constructor(store: 'postgres' | 'temporal', options?: { cause?: unknown }) {
    super(`${store === 'postgres' ? 'PostgreSQL' : 'Temporal'} is unreachable; retry shortly`, options);
    this.store = store;
  }
}

/** API_PROCESSES > 1: the metrics of every API process could not be gathered in time (one of them
 *  did not answer the primary, or the primary did not answer). A partial sum would look like a
 *  counter reset, so none is given: retry after Retry-After seconds. */
export class MetricsUnavailableError extends ApiError {
  override readonly name = 'MetricsUnavailableError';
  readonly status = 503;
  readonly code = 'metrics_unavailable';
  override readonly retryAfterSeconds = 1;
}
