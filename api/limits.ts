// The ingest API's limits and tuning, in one place so the parsers, the OpenAPI document, the
// producer and the tests agree.
import type { CoalescerOptions } from './producer.ts';

export const LIMITS = {
  /** Records in one POST /v1/events. */
  maxBatchRecords: 1_000,
  /** Body of a one-record endpoint: the raw schemas' longest fields fit with room to spare. */
  singleBodyBytes: 64 * 1024,
  /** Body of POST /v1/events: 1,000 typical records (a pin is ~0.7 kB) fit. */
  batchBodyBytes: 1024 * 1024,
} as const;

export const PRODUCER_TUNING: Omit<CoalescerOptions, 'onBatch'> = {
  lingerMs: 2,
  maxBatchRecords: 5_000,
  // Kafka's default message.max.bytes is ~1 MiB per partition batch.
  maxBatchBytes: 1024 * 1024,
  maxQueueRecords: 50_000,
  queueTimeoutMs: 5_000,
  sendTimeoutMs: 10_000,
  cooldownMs: 1_000,
};

/** How long the partition leader waits for the in-sync replicas before answering a produce. */
export const KAFKA_ACK_TIMEOUT_MS = 5_000;

export const READINESS = { timeoutMs: 1_000, ttlMs: 1_000 } as const;

/** In-flight requests get this long to finish on shutdown before their connections are cut. */
export const DRAIN_TIMEOUT_MS = 10_000;

/** API_PROCESSES > 1 (api/cluster-primary.ts). */
export const CLUSTER = {
  /** Restarts of crashed workers allowed per process and window: past them the primary calls it a
   *  crash loop and exits 1 (its supervisor, not a tight loop here, decides what comes next). */
  restartsPerProcess: 3,
  restartWindowMs: 60_000,
  /** The wait before a restart, doubling with each restart in the window up to `max`. */
  restartDelayMs: { first: 100, max: 2_000 },
  /** How long the primary waits for every worker's metrics before a scrape fails (503). A worker
   *  waits a second longer for the primary's answer. */
  metricsTimeoutMs: 3_000,
} as const;
