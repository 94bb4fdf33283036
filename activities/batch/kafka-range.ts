// Reads one partition's offsets [from, to) once. kafkajs has no manual assignment, so a consumer in a
// fresh group of its own (never committing) is assigned the whole topic, pauses the other
// partitions, and seeks this one to `from`. Offsets may have gaps: the range ends when Kafka's
// position passes `to - 1`, whether or not a message sits there.
import { randomUUID } from 'node:crypto';
import type { Batch, Kafka } from 'kafkajs';

export interface PartitionRange {
  topic: string;
  partition: number;
  /** First offset to read. */
  from: bigint;
  /** First offset not to read. */
  to: bigint;
  /** The topic's other partitions, paused so that the consumer fetches this one alone. */
  otherPartitions: number[];
}

export type RangeMessage = Batch['messages'][number];

/**
 * Hands the range's messages to `onMessages` batch by batch, in offset order, and returns once the
 * last one was handled. A broker that goes away surfaces as an error (the consumer does not restart
 * itself), so the activity fails and Temporal retries it.
 */
export async function readPartitionRange(
  kafka: Kafka,
  range: PartitionRange,
  groupPrefix: string,
  onMessages: (messages: RangeMessage[]) => Promise<void>,
): Promise<void> {
  if (range.from >= range.to) return;
  const consumer = kafka.consumer({
    groupId: `${groupPrefix}-batch-export-${randomUUID()}`,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { retries: 3, restartOnFailure: async () => false },
  });
  let finished = false;
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const done = new Promise<void>((resolve, reject) => {
    const end = (fn: () => void) => {
      finished = true;
      fn();
    };
    settle = { resolve: () => end(resolve), reject: (err) => end(() => reject(err)) };
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => settle.reject(payload.error));
  // A range may end in records kafkajs does not hand over (a transaction marker, aborted records):
  // it still reports the fetch, and the range is read once the fetch reached its last offset.
  consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
    const reached =
      payload.topic === range.topic && payload.partition === range.partition && payload.batchSize === 0;
    if (reached && BigInt(payload.lastOffset) >= range.to - 1n) settle.resolve();
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [range.topic] });
    await consumer.run({
      autoCommit: false,
      // Errors never reach kafkajs: it would hand the same batch over again, written twice.
      eachBatch: async ({ batch }) => {
        if (finished || batch.partition !== range.partition) return;
        try {
          const inRange = batch.messages.filter((m) => {
            const offset = BigInt(m.offset);
            return offset >= range.from && offset < range.to;
          });
          if (inRange.length > 0) await onMessages(inRange);
          if (BigInt(batch.lastOffset()) >= range.to - 1n) settle.resolve();
        } catch (err) {
          settle.reject(err);
        }
      },
    });
    if (range.otherPartitions.length > 0) {
      consumer.pause([{ topic: range.topic, partitions: range.otherPartitions }]);
    }
    consumer.seek({ topic: range.topic, partition: range.partition, offset: String(range.from) });
    await done;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
