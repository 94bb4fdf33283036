// Sends the coalesced batches with one idempotent kafkajs producer (acks from all in-sync replicas).
// After a failed send the producer is replaced: kafkajs rolls its sequence numbers back when a
// produce fails, so if the broker had written that batch, the next batch would reuse its sequence
// numbers and the broker would drop it as a duplicate while acknowledging it. A fresh producer has
// a fresh producer id.
import kafkajs, { Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from '../infra/logger.ts';
import { isKafkaTooLarge } from '../infra/outages.ts';
import { KafkaUnavailableError, RecordsTooLargeError } from './errors.ts';
import type { OutgoingMessage, SendBatch } from './producer.ts';

const { KafkaJSError } = kafkajs;

export interface KafkaSender {
  send: SendBatch;
  /** Connects ahead of the first request; failures are only logged (the next send tries again). */
  warmUp(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaSenderOptions {
  /** How long the leader waits for the in-sync replicas' acknowledgements. */
  ackTimeoutMs: number;
  retryAfterSeconds: number;
  /** The topics' max.message.bytes, to name it when Kafka refuses records as too large. */
  maxMessageBytes?: () => Promise<number | undefined>;
}

function byTopic(messages: OutgoingMessage[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const { topic, key, value, headers, timestamp } of messages) {
    let list = topics.get(topic);
    if (!list) topics.set(topic, (list = []));
    list.push({ key, value, headers, timestamp });
  }
  return [...topics].map(([topic, list]) => ({ topic, messages: list }));
}

function describe(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { err };
  const retriable = err instanceof KafkaJSError ? err.retriable : undefined;
  return { err, kafkaError: err.name, retriable };
}

export function createKafkaSender(kafka: Kafka, log: Logger, opts: KafkaSenderOptions): KafkaSender {
  let active: { producer: Producer; connected: Promise<Producer> } | undefined;

  const retire = (producer: Producer) => {
    if (active?.producer === producer) active = undefined;
    producer.disconnect().catch((err: unknown) => log.warn(describe(err), 'producer disconnect failed'));
  };

  const ready = (): Promise<Producer> => {
    if (active) return active.connected;
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 of the key, as the Java client: consumers in any language agree on a key's partition.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const connected = producer.connect().then(
      () => producer,
      (err: unknown) => {
        retire(producer);
        throw err;
      },
    );
    active = { producer, connected };
    return connected;
  };

  const unavailable = (err: unknown, what: string) => {
    if (!(err instanceof KafkaJSError)) return err;
    log.warn(describe(err), `kafka ${what} failed`);
    return new KafkaUnavailableError(`Kafka ${what} failed`, opts.retryAfterSeconds, { cause: err });
  };

  return {
    async send(messages) {
      const producer = await ready().catch((err: unknown) => {
        throw unavailable(err, 'connect');
      });
      try {
        await producer.sendBatch({ acks: -1, timeout: opts.ackTimeoutMs, topicMessages: byTopic(messages) });
      } catch (err) {
        retire(producer);
        if (isKafkaTooLarge(err)) {
          const limit = await opts.maxMessageBytes?.().catch(() => undefined);
          log.warn(describe(err), 'kafka refused records as too large');
          throw new RecordsTooLargeError(limit, { cause: err });
        }
        throw unavailable(err, 'send');
      }
    },
    async warmUp() {
      await ready().catch((err: unknown) => log.warn(describe(err), 'kafka not reachable yet'));
    },
    async disconnect() {
      const current = active;
      active = undefined;
      // A producer that never connected was already closed by retire().
      const producer = await current?.connected.catch(() => undefined);
      await producer?.disconnect();
    },
  };
}
