import type { OutgoingMessage, ProducerStats, RecordProducer } from '../../api/producer.ts';

/** Stands in for the coalescing producer in HTTP unit tests: records what the app produces, or
 *  fails with a chosen error. The real producer and Kafka are covered by the integration tests. */
export class FakeProducer implements RecordProducer {
  readonly produced: OutgoingMessage[][] = [];
  failWith: Error | undefined;

  async produce(messages: OutgoingMessage[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.produced.push(messages);
  }

  stats(): ProducerStats {
    return { queuedRecords: 0, inFlightRecords: 0, circuitOpen: false };
  }

  async close(): Promise<void> {}

  get messages(): OutgoingMessage[] {
    return this.produced.flat();
  }
}
