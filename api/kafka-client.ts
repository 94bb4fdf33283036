// The ingest API's kafkajs client. infra/kafka.ts keeps kafkajs's retry defaults (5 retries up to
// 30 s, and connection retries nested inside send retries): a send to a stopped broker then takes
// ~15 s to fail. The API must answer 503 quickly and never let a record it answered 503 for land
// later, so its client gives up within a few seconds and the API owns the retry policy (clients
// retry on 503). Same logging as infra/kafka.ts.
import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Connection and retry budget: a stopped broker fails a send in about 2.5 s. */
export const INGEST_KAFKA_TIMING = {
  connectionTimeout: 1_000,
  requestTimeout: 10_000,
  retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1_000 },
} as const;

// kafkajs warns about bounded retries on every idempotent producer it creates. It does not apply
// here: api/kafka-sender.ts replaces the producer (new producer id) after any failed send.
const EXPECTED = 'Limiting retries for the idempotent producer';

export function createIngestKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  log: Logger,
): Kafka {
  return new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}-api`,
    brokers: config.KAFKA_BROKERS,
    ...INGEST_KAFKA_TIMING,
    retry: { ...INGEST_KAFKA_TIMING.retry },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const as = message.startsWith(EXPECTED) ? 'debug' : (levels[level] ?? 'info');
        log[as]({ kafka: rest }, message);
      },
  });
}
