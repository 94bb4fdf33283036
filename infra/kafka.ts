// The one kafkajs client factory. Two retry budgets, chosen by who asks:
// - `pipeline` (default): kafkajs's own retries (5 up to 30 s, connection retries nested inside
//   send retries). Workers and scripts wait out a broker's restart rather than fail an activity.
// - `ingest`: the API must answer 503 quickly and never let a record it answered 503 for land later,
//   so its client gives up within a few seconds (a stopped broker fails a send in about 2.5 s) and
//   the API owns the retry policy (clients retry on 503).
import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The ingest API's connection and retry budget. */
const INGEST_KAFKA_TIMING = {
  connectionTimeout: 1_000,
  requestTimeout: 10_000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
} as const;

// kafkajs warns about bounded retries on every idempotent producer it creates. It does not apply to
// the API: api/kafka-sender.ts replaces the producer (new producer id) after any failed send.
const EXPECTED_INGEST_WARNING = 'Limiting retries for the idempotent producer';

export type KafkaProfile = 'pipeline' | 'ingest';

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  log?: Logger,
  profile: KafkaProfile = 'pipeline',
): Kafka {
  const ingest = profile === 'ingest';
  const timing: Partial<KafkaConfig> = ingest
    ? { ...INGEST_KAFKA_TIMING, retry: { ...INGEST_KAFKA_TIMING.retry } }
    : {};
  return new Kafka({
    clientId: ingest ? `${config.KAFKA_CLIENT_ID}-api` : config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    ...timing,
    logLevel: log ? logLevel.WARN : logLevel.NOTHING,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const expected = ingest && message.startsWith(EXPECTED_INGEST_WARNING);
        log?.[expected ? 'debug' : (levels[level] ?? 'info')]({ kafka: rest }, message);
      },
  });
}
