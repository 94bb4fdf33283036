// Reads topics from the beginning with a consumer of a fresh group, for asserting what is in Kafka.
import type { Admin, IHeaders, Kafka } from 'kafkajs';
import { freshName } from './names.ts';
import { waitFor } from './wait.ts';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value.toString();
  }
  return out;
}

/** Total records in the topics: the sum of their partitions' high watermarks. */
export async function countRecords(admin: Admin, topics: string[]): Promise<number> {
  let total = 0;
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low);
  }
  return total;
}

/** Consumes `topics` from the beginning until `expected` messages arrived; ordered by topic,
 *  partition and offset. */
export async function readTopics(
  kafka: Kafka,
  topics: string[],
  expected: number,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const seen: ReadMessage[] = [];
  const consumer = kafka.consumer({ groupId: freshName('test-reader') });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        seen.push({
          topic,
          partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headersOf(message.headers),
        });
      },
    });
    await waitFor(
      `${expected} messages in ${topics.join(', ')}`,
      async () => (seen.length >= expected ? true : undefined),
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  return seen.sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset,
  );
}
